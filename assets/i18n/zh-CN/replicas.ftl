# replicas

replicas-view-title = 副本：网络会变得多相似？
replicas-count = 副本数
replicas-count-tooltip = 用其他种子生成的网络副本，在同样的数据上并排训练
replicas-target-accuracy = 目标准确率
replicas-inits = 初始化（都不选：全部沿用网络的初始化，换用其他种子）：
replicas-replica = 副本 { $index }
replicas-replica-accuracy = 副本 { $index } { NUMBER($accuracy, style: "percent", maximumFractionDigits: 0) }
replicas-target-reached = 第 { $step } 步达到 { NUMBER($target, style: "percent", maximumFractionDigits: 0) }
replicas-target-not-yet = { NUMBER($target, style: "percent", maximumFractionDigits: 0) }：尚未达到

## The pair matrices

replicas-agree-test = 测试点上的一致率
replicas-agree-test-tooltip = 两个副本预测出相同类别的测试点所占的比例（回归：输出相差不超过目标范围的 10%）
replicas-agree-far = 远处的一致率
replicas-agree-far-tooltip = 同样的度量，但用的是比数据远三倍的点：那里没有任何东西约束它们
replicas-weights-raw = 原始权重
replicas-weights-raw-tooltip = 所有参数按原样计算的余弦相似度：接近 0，因为神经元的次序是任意的
replicas-weights-matched = 匹配后的权重
replicas-weights-matched-tooltip = 把每个副本的神经元与另一个副本的做匹配（置换）之后的同一度量（按输入权重逐层做匈牙利匹配）。仅靠匹配，两个互不相关的网络也会明显高于 0：请与随机水平比较。
replicas-mean-value = { NUMBER($value, minimumFractionDigits: 2, maximumFractionDigits: 2) }
replicas-mean-and-chance = 平均 { $mean }，随机水平 { $chance }
replicas-chance-tooltip = 随机水平：在互不相关的预测之间，或在各副本相互独立的初始网络之间计算的同一度量
replicas-cka-layer-choice = CKA，第 { $layer } 层
replicas-layer = 第 { $layer } 层
replicas-cka = 表示相似性
replicas-cka-tooltip = 在探测批次上，各副本在这一层的激活值之间的线性 CKA：1 表示在旋转和缩放意义下完全相同
replicas-between-layers = 副本 0 各层之间的比较（CKA）
replicas-between-layers-tooltip = 每一层的表示与其他各层的表示有多相似：成块的亮格子表示这些层携带相同的信息
replicas-single = 增加副本数才能比较不同的网络；下面比较的是单个网络的各层。

## Over training

replicas-history-heading = 训练过程中（所有副本两两之间的平均值）
replicas-series-agreement = 一致率（测试集）
replicas-series-agreement-chance = 一致率的随机水平
replicas-series-far-agreement = 一致率（远处）
replicas-series-weights-raw = 原始权重
replicas-series-weights-matched = 匹配后的权重
replicas-series-matched-chance = 匹配后权重的随机水平
replicas-series-cka = CKA L{ $layer }
