# waves

## “波形”视图（模加法）。

waves-view-title = 波形：网络学到了什么
waves-not-applicable = 这些图需要一个全连接隐藏层，以独热编码（one-hot）读入 a 和 b。
waves-progress-heading = 跃升之前正在形成的结构
waves-progress-tooltip = 每个神经元的权重功率中集中在它最强的单一频率上的比例，取所有神经元的中位数（随机权重约为 0.1，每个神经元都变成波后接近 0.9），以及测试准确率
waves-series-median-share = 单一频率占比中位数
waves-series-test-accuracy = 测试准确率
waves-history-heading = 神经元变成波
waves-history-tooltip = 每一列是一次探测；行：神经元的权重功率中集中在它最强频率上的比例，底部为 0，顶部为 1；越亮表示那里的神经元越多。随机权重位于 0.1 附近；已经变成单一波的神经元位于 1 附近。
waves-history-caption = 第 { $first } 步到第 { $last } 步；{ $total } 个频率中有 { $used } 个在使用
waves-curves-heading = 每个神经元在各余数上的输入权重
waves-sort-by-frequency = 按频率排序
waves-curves-legend = 上半：来自 a，下半：来自 b；颜色：该神经元最强的频率，还没有时为灰色
waves-neuron-wave = 神经元 { $neuron }：频率 { $frequency }，占其功率的 { NUMBER($share, style: "percent", maximumFractionDigits: 0) }
waves-neuron-no-wave = 神经元 { $neuron }：没有波
waves-first-neurons = { $total } 个神经元中的前 { $shown } 个
