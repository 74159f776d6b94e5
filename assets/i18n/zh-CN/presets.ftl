# 预设的说明（英文原文是各预设文件里的 description）。

preset-batch-norm-rescue = 梯度消失那个网络加上批量归一化：每一层的信号都被重新居中、重新缩放，网络能够训练
preset-constant-init = 每个权重都从 0.5 开始：同一层的所有神经元得到相同的梯度，永远保持一模一样
preset-dead-relus = 学习率过大的 ReLU 神经元：一次糟糕的更新就把它们推到对所有输入都小于零，死亡神经元得不到梯度，再也回不来
preset-deep-relu-he = 二十层 ReLU，使用 he-normal 初始化：激活值的尺度从输入到输出保持不变（对比 deep-relu-xavier）
preset-deep-relu-xavier = 二十层 ReLU，使用 xavier-normal 初始化：激活值的尺度每经过一层减半（对比 deep-relu-he）
preset-deep-spiral = 只用 x 和 y 区分两条交错的螺旋：六个各有 8 个神经元的 ReLU 层把平面折叠成螺旋
preset-digits-cnn = 用一个小卷积网络识别手写数字：conv(8, 3x3) relu、池化、conv(16, 3x3) relu、dense(10)
preset-digits-mlp = 用单隐藏层多层感知机识别 8×8 手写数字：看第一层的感受野里涌现出笔画检测器
preset-exploding-gradients = 十二层 ReLU，初始化为 He 尺度的两倍：激活值和梯度爆炸，训练发散
preset-grokking = 模加法（a + b mod 59），使用 AdamW 和权重衰减：训练集几百步内就拟合了，测试集要到几千步之后
preset-homogenisation = 四个来自不同种子的副本，在三条螺旋臂上训练：它们的预测一致，权重却不一致
preset-mnist-cnn = 最经典的入门 CNN，用于 28×28 的 MNIST，按 Keras 的方式搭建和训练，使用 f32
preset-multi-spiral = 三条螺旋臂、三个类别：ReLU 网络加 softmax 交叉熵
preset-overfitting = 在小而含噪的训练集上训练一个大网络：训练损失下降，测试损失却上升（试试丢弃法或 L2 正则化）
preset-playground = TensorFlow Playground 的默认设置：圆环数据，两个 tanh 隐藏层，分别有 4 个和 2 个神经元
preset-regression = 回归：用一个小 tanh 网络拟合由高斯凸起组成的地形
preset-vanishing-gradients = 十层 sigmoid：梯度朝输入方向一层层缩小，前几层几乎学不到东西
preset-xor = Playground 的网络用于 XOR（异或）数据：第一层必须画出两条直线
