# inspector

## 神经元查看窗口（$layer 和 $unit 从 1 开始计数）。

inspector-title-output = 输出神经元 { $unit }
inspector-title-neuron = 第 { $layer } 层，神经元 { $unit }
inspector-pictures-limit = （每层只有前 { $count } 个神经元有图像）
inspector-statistics = 均值 { $mean }   标准差 { $std }   输入权重的梯度范数 { $gradient }
inspector-activation-heading = 探测批次上的激活值
inspector-weights-heading = 输入权重
inspector-weight-series = 权重
inspector-bias = 偏置 { NUMBER($bias, minimumFractionDigits: 4, maximumFractionDigits: 4) }
