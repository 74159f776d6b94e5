# chaos

## “混沌边缘”窗口。sigma_w²、sigma_b²、chi1 和 xi_c 是符号，保持不变。

chaos-window-title = 混沌边缘
chaos-intro = { $activation } 层：在线的左侧，信号随深度逐渐消失（有序相）；在线的右侧，信号四散（混沌相）。网络在这条线附近训练得最好。
chaos-axis-weight-variance = sigma_w²（权重方差 × 扇入）
chaos-axis-bias-variance = sigma_b²（偏置方差）
chaos-region-ordered = 有序相
chaos-region-chaotic = 混沌相
chaos-this-network-series = 这个网络
chaos-theory-not-applicable = 这个理论不适用于这个网络：{ $reason }
chaos-theory-not-applicable-see-readme = 这个理论不适用于这个网络：请参阅 README
chaos-bias-mean = 每个偏置的初始值都是 { NUMBER($mean, maximumFractionDigits: 6) }：这条线对应的是这个均值（平面上的 sigma_b² 是围绕它的方差）。
chaos-phase-ordered = 有序相
chaos-phase-critical = 临界
chaos-phase-chaotic = 混沌相
chaos-phase-exploding = 爆炸相
chaos-this-network = 这个网络：sigma_w² = { $sigma_w2 }，{ $phase }，chi1 = { $chi1 }
chaos-depth-scale = 深度尺度 xi_c = { $xi } 层：这个网络的深度是 { NUMBER($depth, minimumFractionDigits: 1, maximumFractionDigits: 1) } 个深度尺度（{ $layers } 层）。
chaos-depth-scale-unbounded = 深度尺度：无界（临界）：信号在任何深度都能保留；{ $layers } 层。
chaos-reference = Schoenholz et al.（2017）：网络的深度在几个深度尺度之内时，它就能训练。
