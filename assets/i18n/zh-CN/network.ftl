# network

network-preparing = 正在准备图像……

## 中央区域上方的标签：显示哪个视图

view-network = 网络
view-network-tooltip = 网络：它的神经元和连接，以及每个神经元对什么有反应
view-replicas = 副本
view-replicas-tooltip = 用其他种子得到的网络副本，并排训练：它们会变得多相似？
view-waves = 波形
view-waves-tooltip = 每个神经元学到了什么：它在各个余数上的权重，以及这些权重的频率

## 视图选项

network-test-data = 测试数据
network-discretise = 离散化输出
network-scale-each-neuron = 每个神经元单独缩放
network-scale-each-neuron-tooltip = 颜色按每个神经元自己的取值范围缩放：能看出微弱信号的形状；关闭时，颜色很淡的方块表示输出很小（信号在消失）。
network-edges = 连线：
network-edges-weight = 权重
network-edges-gradient = 梯度
network-step-through = 逐步查看…
network-step-through-tooltip = E：在一个点上走一遍训练步，包括前向传播和反向传播，显示每一个数

## 各列上方

network-inputs-heading = 输入
network-output-heading = 输出
network-fewer-neurons-tooltip = 减少一个神经元
network-more-neurons-tooltip = 增加一个神经元
network-more-units = +{ $count } 个未画出

## 输入方块的悬停提示。$name 是特征名（x1、sin(x1) 等），或模加法的两个数 a、b。

network-pair-input = 输入 { $name }：0 到 { $last } 的独热编码（这张图显示它在整张表上的值）
network-feature = 输入特征 { $name }
network-feature-off = 输入特征 { $name }（未启用：点击即可使用）

## 神经元的悬停提示。$formula 是神经元的公式；$name 是激活函数名（与设置中的写法一致）。

network-output-unit = 输出 { $number }
network-neuron = 第 { $layer } 层，神经元 { $neuron }
network-formula-then-sigmoid = { $formula }，再经过损失函数的 sigmoid
network-formula-then-softmax = { $formula }，再经过损失函数在各输出上的 softmax
network-formula-too-long = { $inputs } 个输入：项太多，无法写出公式
network-at-point = 在训练点 { $point } 上：
network-activation = 激活函数：{ $name }
network-mean-std = 均值 { NUMBER($mean, minimumFractionDigits: 4, maximumFractionDigits: 4) }，标准差 { NUMBER($std, minimumFractionDigits: 4, maximumFractionDigits: 4) }
network-dead = 死亡：在每个探测点上都输出零
network-alive = 存活
network-saturated = 在 { NUMBER($share, style: "percent", maximumFractionDigits: 0) } 的探测点上饱和
network-incoming-gradient = 输入权重的梯度范数 { $norm }
network-settled = 特征自第 { $step } 步起已稳定（绿点）
network-still-changing = 特征仍在变化：每 100 步变化 { NUMBER($rate, style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1) }
network-settling-unknown = 现在还看不出它的特征是否已稳定
network-click-to-inspect = 点击可查看详情

## 连线的悬停提示。$from、$to 是神经元的名字（x1、h1.2、out）。dL/dw 是公式符号。

network-edge-title = { $from } 到 { $to }（第 { $layer } 个权重层）
network-edge-point-gradient = dL/dw 是训练点 { $point } 的损失的梯度
network-edge-probe-gradient = 第 { $step } 步时探测批次上的 dL/dw

## 输出图

network-pick-point = 训练点 { $point }：点击逐步查看
network-overlay-loss = 损失 { $value }
network-pairs-caption =
    a + b mod { $modulus }，a 向下，b 向右
    绿色正确，红色错误，浅色：训练过的
network-test-loss = 测试损失 { $loss }{ $accuracy }
network-train-loss = 训练损失 { $loss }{ $accuracy }

network-last-update = 上次更新
