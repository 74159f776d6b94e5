# charts

## Loss and accuracy over steps

charts-loss-heading = 损失
charts-log-steps = 对数步数
charts-log-steps-tooltip = 步数用对数坐标：早期的各个阶段和后期的跃变都看得见
charts-train = 训练集
charts-test = 测试集
charts-plateau = 平台期
charts-sudden-drop = 骤降
charts-accuracy-heading = 准确率
charts-accuracy-tooltip = 竖线：训练准确率和测试准确率首次达到 95% 的时刻
charts-train-fitted = 训练集已拟合（第 { $step } 步）
charts-test-fitted = 测试集已拟合（第 { $step } 步）
charts-median-wave-share = 波占比中位数
charts-delayed-generalisation = 测试准确率比训练准确率晚了 { $steps } 步才跟上：这是延迟的泛化

## Per-layer charts

charts-gradient-heading = 各层梯度范数
charts-gradient-tooltip = 到达每一层权重的损失梯度有多大。曲线彼此相距很远、靠近输入的层最低：这就是梯度消失。
charts-relative-gradients = 相对于输出层
charts-relative-gradients-tooltip = 每一层的梯度范数除以输出层的梯度范数：这正是理论所预测的量，而且在整体大小随每次探测起伏时仍保持稳定
charts-activation-heading = 各层激活值的离散程度（标准差）
charts-layer-colours = 深色：靠近输入，亮色：靠近输出
charts-long-history = 历史较长：每条线是相邻几步的平均值；若有淡色带，它覆盖这几步的最低到最高值
charts-layer-short = L{ $layer }
charts-layer-fraction = L{ $layer } { NUMBER($fraction, style: "percent", maximumFractionDigits: 0) }
charts-list-separator = 、
charts-dead-units-by-layer = 死亡神经元：{ $layers }
charts-saturated-by-layer = 饱和的输出：{ $layers }
charts-profile-heading = 第 { $step } 步各层
charts-profile-tooltip = 柱条：每层梯度范数的 log10；信号传播的情况一目了然。
charts-profile-series = 梯度范数的 log10

## The theory's dashed lines

charts-theory-none = 理论虚线：此处没有（{ $reason }）
charts-theory-does-not-apply = 理论不适用
charts-phase-ordered = 有序相
charts-phase-critical = 临界
charts-phase-chaotic = 混沌相
charts-phase-exploding = 爆炸相
charts-theory-caption = 虚线：初始化时的平均场理论（无限宽度）；{ $phase }，chi1 = { NUMBER($chi1, minimumFractionDigits: 2, maximumFractionDigits: 2) }，深度尺度 { NUMBER($xi, minimumFractionDigits: 1, maximumFractionDigits: 1) } 层（网络深 { $depth } 层）

## Features settled, and how alike a layer's neurons are

charts-settled-heading = 特征已稳定
charts-settled-tooltip = 一层中 90% 的神经元停止变化（每 100 步变化不到 2%）时的步数；没有柱条：仍在变化。方块上的绿点标出已稳定的神经元。
charts-settled-series = 稳定时的步数
charts-within-layer-heading = 层内神经元的相似程度
charts-within-layer-tooltip = 在探测批次上，一层中各神经元输出之间的平均相关系数：1 表示每个神经元做的事完全相同，0 是互不相关的神经元给出的值（随机水平），与激活函数无关。
charts-within-layer-series = 两两相关系数的平均值

## Histograms (also the neuron inspector's)

charts-histogram-heading = 直方图
charts-layer = 第 { $layer } 层
charts-histogram-weights = 权重
charts-histogram-pre-activations = 预激活值
charts-histogram-activations = 激活值
charts-histogram-gradients = 梯度
charts-histogram-count = 计数
charts-histogram-below = { $count } 个低于范围
charts-histogram-above = { $count } 个高于范围
charts-histogram-zeros = { $count } 个恰好为零
charts-histogram-non-finite = { $count } 个非有限值
charts-histogram-log-axis = x：幅值的 log10
charts-histogram-outside = 超出分箱范围：{ $counts }
