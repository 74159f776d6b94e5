# digits

digits-preparing = 正在查看数字……
digits-shown-test = 特征图和输出对应的是测试数字 { $index }（真实标签 { $label }）。
digits-shown-canvas = 特征图和输出对应的是画板上的数字。

## 网络一侧：各层的标题、卷积核、特征图和神经元

digits-layer-conv = 第 { $layer } 层：{ $filters } 个 { $kernel }×{ $kernel } 卷积核（{ $height }×{ $width } 特征图）
digits-layer-pool = 第 { $layer } 层：2×2 最大池化（{ $height }×{ $width } 特征图）
digits-layer-dense = 第 { $layer } 层：{ $neurons } 个神经元
digits-filters = 卷积核（每个卷积核一行，依次是各个输入通道）：
digits-filter = 卷积核 { $filter }，覆盖 { $channels } 个输入通道
digits-filter-maps = 它在所选数字上的特征图：
digits-channel = 所选数字上的通道 { $channel }
digits-receptive-fields = 每个神经元的感受野：把它的输入权重画成图像（蓝色为正，橙色为负）
digits-neuron-output = 神经元 { $neuron }：在所选数字上输出 { NUMBER($output, minimumFractionDigits: 3, maximumFractionDigits: 3) }
digits-class-means = 每个神经元在测试数字上对各个类别的平均输出（柱 0 到 9）
digits-strongest = 神经元 { $neuron }：对 { $digit } 的响应最强

## 测试数字和混淆矩阵。$confidence 取 0 到 1。

digits-test-digits = 测试数字
digits-test-digits-tooltip = 每个数字下方是网络的预测和置信度；红色：预测错误。点击一个数字可查看它的特征图。
digits-guess-caption = { $guess } { NUMBER($confidence, style: "percent", maximumFractionDigits: 0) }
digits-guess-tooltip = 真实 { $label }，预测 { $guess }（{ NUMBER($confidence, style: "percent", maximumFractionDigits: 0) }）
digits-confusion = 混淆矩阵（第 { $step } 步）
digits-confusion-counting = 混淆矩阵（正在统计测试集……）
digits-confusion-tooltip = 行：真实数字；列：预测结果。对角线上是预测正确的。每帧统计测试集中的几个数字，直到统计完整个测试集，统计的是网络在那一步时的状态。

## 画板

digits-draw = 画一个数字
digits-clear = 清除
digits-sure = 置信度 { NUMBER($confidence, style: "percent", maximumFractionDigits: 0) }
digits-show-canvas = 显示画板的特征图
digits-preprocessed = 网络看到的样子：像 MNIST 的数字那样，缩放到 20×20，并按质心居中
