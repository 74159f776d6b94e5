# step

## “逐步查看”窗口：步中数字周围的文字（公式和数字表格由引擎在 Rust 中写出）。

step-window-title = 逐步查看一个训练步
step-refused = 这个网络无法逐步查看。
step-refused-explanation = 逐步查看只能读取全连接网络：最多 { $layers } 个隐藏层，每层最多 { $neurons } 个神经元，不含批量归一化和丢弃法，小到每个数都能读出来。预设 playground 就是这样的网络。
step-running = 训练正在运行。暂停后即可查看点 { NUMBER($point, useGrouping: "false") } 上的下一步。
step-pause = ⏸ 暂停
step-working = 正在计算这一步……

step-stage-forward = 前向传播：第 { $layer } 层，共 { $layers } 层
step-stage-forward-output = 前向传播：输出层（第 { $layer } 层，共 { $layers } 层）
step-stage-loss = 损失
step-stage-backward = 反向传播：第 { $layer } 层，共 { $layers } 层
step-stage-backward-output = 反向传播：输出层（第 { $layer } 层，共 { $layers } 层）
step-stage-update = 更新
step-short-loss = 损失
step-short-update = 更新

step-training-point = 训练点
step-next-point = 下一个点
step-next-point-button = 下一个点
step-next-point-tooltip = 下一个训练步的批量从这个点开始
step-click-a-point = 或在输出图像中点击一个点

step-summary-class = 第 { $step } 步，点 { NUMBER($point, useGrouping: "false") }，位于 ({ $x }, { $y })，类别 { $class }
step-summary-value = 第 { $step } 步，点 { NUMBER($point, useGrouping: "false") }，位于 ({ $x }, { $y })，目标值 { $value }
step-inputs-line = 输入  { $inputs }
step-target-line = 目标  t = { $target }
step-batch-of-one = 批量大小为 1：只看这一个点的梯度。训练时每个批量有 { $size } 个点，取它们梯度的平均值。

step-previous = ◀ 上一阶段
step-previous-tooltip = 左方向键
step-next = 下一阶段 ▶
step-next-tooltip = 右方向键
step-apply = 应用这一步
step-apply-tooltip = Enter：真正执行这一步；图像会用新的权重重新绘制

step-forward-output-mse = 输出层把各个输入乘以权重后相加，再加上偏置；这个和 z 就是网络的输出 y。
step-forward-output-bce = 输出层把各个输入乘以权重后相加，再加上偏置；损失函数用 sigmoid 把这个和 z 变成一个概率。
step-forward-output-ce = 输出层把各个输入乘以权重后相加，再加上偏置；损失函数用 softmax 把这些和 z 变成各个类别的概率。
step-forward-hidden = 每个神经元把各个输入乘以权重后相加，再加上偏置（z），然后应用 { $activation }（a）：下一层读到的就是 a。
step-reads-line = 读入  { $inputs }
step-forward-hint = 每个神经元的图像上都圈出了这个点；把鼠标悬停在神经元上可查看它的公式。

step-loss-mse = 平方误差：输出 y 与目标 t 之间距离的平方的一半。
step-loss-bce = 二元交叉熵：网络给这个点所属类别的概率，取对数后再取负。
step-loss-ce = 交叉熵：网络给这个点所属类别的概率，取对数后再取负。
step-loss-penalty = 权重的惩罚项（L1、L2）= { $penalty }
step-loss-gradient = 它的梯度，也就是反向传播的起点：{ $formula }。

step-backward-output = 每个输出的误差项（delta，即 dL/dz）就是损失的梯度。
step-backward-hidden = 每个神经元的误差项（delta，即 dL/dz）：把上一层的各个误差项分别乘以通往它们的权重后求和，再乘以它的激活函数的斜率 f'(z)。
step-gradients-heading = 梯度：dL/dw = delta × 输入，dL/db = delta
step-gradients-hint = 在网络图上，这一层的连线按梯度着色：蓝色为正，橙色为负，越粗表示越大。
step-bias-column = 偏置
step-weight-gradient-tooltip = 从 { $from } 到 { $to } 的 dL/dw = delta × 输入 = { $arithmetic }
step-bias-gradient-tooltip = { $neuron } 的 dL/db = delta

step-update-intro = 优化器（{ $optimizer }，学习率 { $rate }）把每个梯度变成一步更新量：
step-clipping = 梯度裁剪：梯度范数为 { $norm }，上限为 { $limit }：每个梯度都乘以 { $factor }。
step-update-hint = 把鼠标悬停在一行上可查看它的计算过程。在网络图上，每条连线按它的更新量着色。
step-update-layer = 第 { $layer } 层
step-update-apply-hint = 按“应用这一步”，这一步就会真正执行：权重变成新值，图像随之重新绘制。
step-column-old = 旧值
step-column-step = 更新量
step-column-new = 新值
step-weight-row = { $from } 到 { $to }
step-bias-row = 偏置 { $neuron }

step-taken-heading = 这一步已执行
step-taken = 点 { NUMBER($point, useGrouping: "false") } 上的第 { $step } 步已执行：每个权重和偏置都按显示的更新量移动了，图像显示的是新的网络。
step-taken-loss-line = 这个点上的损失  之前 { $before }  之后 { $after }
step-taken-loss-down = 这个点上的损失下降了：这一步让权重沿着损失的斜坡向下移动。
step-taken-loss-up = 这个点上的损失上升了：这一步迈得太远（对这个点来说学习率太大），或者优化器的动量带着它继续前进。
step-next-step-on-point = 这个点上的下一步 ▶
