# controls
# 左侧的设置面板。配置里的取值名称（数据集、激活函数、初始化、损失函数、
# 优化器、输入特征、填充方式）不在这里：它们保持配置中的写法。

controls-section-run = 运行
controls-section-data = 数据
controls-section-network = 网络
controls-section-training = 训练

## 训练何时自动停止
controls-stop = 停止
controls-stop-never = 从不
controls-stop-at-step = 步数达到
controls-stop-after-epoch = 回合数达到
controls-stop-reached-step = 已达到（第 { $step } 步）：调高它才能继续训练
controls-stop-reached-epochs = 已达到（已完成 { $epochs } 个回合）：调高它才能继续训练

## 数据
controls-dataset = 数据集
controls-csv-file = CSV 文件
controls-classes = 类别数
controls-modulus = 模数 p
controls-augment = 数据增强：平移一个像素，加噪声
controls-noise = 噪声
controls-train-fraction = 训练集比例
controls-samples = 样本数
controls-input-features = 输入特征（也可以在图中点击它们）：

## 网络
controls-hidden-layers = { $count } 个隐藏层
controls-widths = 宽度
controls-activation = 激活函数
controls-leaky-slope = Leaky ReLU 斜率
controls-initialisation = 初始化
controls-gain-zeros = 增益（zeros 会忽略它）
controls-gain-constant = 增益（即该常数）
controls-gain-uniform = 增益（半宽度）
controls-gain-normal = 增益（标准差 sigma）
controls-gain-scale = 增益（标准尺度的倍数）
controls-bias-init = 偏置初始值
controls-batch-norm = 批量归一化
controls-dropout = 丢弃率
controls-edge-of-chaos = 混沌边缘…
controls-edge-of-chaos-tooltip = 用平均场理论看这个初始化位于有序相与混沌相之间的什么位置

## 卷积层（图像数据）
controls-conv-layers = { $count } 个卷积层
controls-conv-layer = 卷积层 { $number }
controls-conv-filters = 个卷积核
controls-conv-pool = 池化

## 训练
controls-loss = 损失函数
controls-optimiser = 优化器
controls-learning-rate = 学习率
controls-momentum = 动量
controls-nesterov = Nesterov 动量
controls-batch-size = 批量大小
controls-l1 = L1 正则化
controls-l2 = L2 正则化
controls-weight-decay-adam = 权重衰减：改用 adamw
controls-weight-decay = 权重衰减
controls-gradient-clip = 梯度裁剪（0：关闭）
