# run-bar

## 运行栏

run-bar-play = ▶ 运行
run-bar-pause = ⏸ 暂停
run-bar-step = 单步
run-bar-step-tooltip = S：训练一步
run-bar-reset = ⟲ 重置
run-bar-reset-tooltip = R：用相同设置重新生成网络
run-bar-speed = 速度
run-bar-speed-rate = { $rate } 步/秒
run-bar-speed-max = 全速
run-bar-speed-tooltip = 每秒最多训练的步数；无论速度多快，窗口都能及时响应。
run-bar-seed = 种子
run-bar-next-seed = 下一个
run-bar-next-seed-tooltip = 下一个种子：新的数据和新的权重
run-bar-presets = 预设
run-bar-help = 帮助
run-bar-larger-tooltip = 放大（+）
run-bar-smaller-tooltip = 缩小（−）
run-bar-present = 演示
run-bar-present-tooltip = P：隐藏侧边面板，让网络占满屏幕；F11：全屏
run-bar-files = 文件
run-bar-replicas = 副本
run-bar-lessons = 课程
run-bar-charts = 图表
run-bar-settings = 设置

## 状态行：等宽字体，数字已按列宽补齐（以文本传入），各列保持对齐。

run-bar-status = 步数 { $step }   回合 { $epoch }   { $samples } 样本/秒   { $steps } 步/秒   每帧 { $frame } 毫秒

## 发散提示条。$divergence 是引擎对数值在何处变为非有限值的描述（英文）。

run-bar-diverged = 训练发散了：{ $divergence }。
run-bar-diverged-advice = 数值变得太大，超出了计算机能表示的范围。试试更小的学习率或增益，或者使用梯度裁剪。
run-bar-diverged-reset = 重置
run-bar-diverged-reset-clipping = 重置并启用梯度裁剪
run-bar-diverged-reset-slower = 重置并把学习率除以 10

## 帮助窗口

run-bar-help-title = 帮助
run-bar-help-neurons = 每个方块是一个神经元：它在输入平面上每一点的输出。蓝色为正，橙色为负，白色为零；洋红色标出不是有限值的数。
run-bar-help-lines = 连线是权重：蓝色为正，橙色为负，越粗表示越大。把连线切换为按梯度着色，可以看到学习信号在哪里流动、在哪里消失。
run-bar-help-hover = 悬停神经元可看统计，点击可查看详情。悬停连线可读出它的权重。
run-bar-help-charts = 右侧的图表显示各层的信号：梯度范数朝输入层逐层减小，就是梯度消失；逐层增大，就是梯度爆炸。

## 键盘快捷键（帮助窗口中的表格；按键名称本身不翻译）

run-bar-key-play = 运行 / 暂停
run-bar-key-step = 单步
run-bar-key-reset = 重置网络
run-bar-key-help = 本帮助
run-bar-key-zoom = 放大 / 缩小界面
run-bar-key-present = 演示模式：隐藏侧边面板
run-bar-key-contrast = 高对比度主题
run-bar-key-lessons = 课程
run-bar-key-step-through = 逐步查看一个训练步
run-bar-key-stages = 逐步查看：下一阶段 / 上一阶段
run-bar-key-apply = 逐步查看：应用所示的更新
run-bar-key-fullscreen = 全屏
run-bar-key-screenshot = 截图
