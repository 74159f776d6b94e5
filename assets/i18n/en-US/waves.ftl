# waves

## The Waves view (modular addition).

waves-view-title = Waves: what the network learns
waves-not-applicable = These pictures need one dense hidden layer reading a and b one-hot.
waves-progress-heading = Order forming before the jump
waves-progress-tooltip = The median over neurons of the share of a neuron's weight power at its single strongest frequency (0.1 for random weights, near 0.9 once every neuron is a wave), with the test accuracy
# Plot series.
waves-series-median-share = median single-frequency share
waves-series-test-accuracy = test accuracy
waves-history-heading = Neurons becoming waves
waves-history-tooltip = Each column a probe; rows: a neuron's share of weight power at its strongest frequency, 0 at the bottom to 1 at the top; brighter: more neurons there. Random weights sit near 0.1; a neuron that has become a single wave sits near 1.
waves-history-caption = steps { $first } to { $last }; { $used } of { $total } frequencies in use
waves-curves-heading = Each neuron's incoming weights over the residues
waves-sort-by-frequency = sort by frequency
waves-curves-legend = top: from a, bottom: from b; colour: the neuron's strongest frequency, grey while it has none
# $share: 0 to 1.
waves-neuron-wave = neuron { $neuron }: frequency { $frequency }, { NUMBER($share, style: "percent", maximumFractionDigits: 0) } of its power
waves-neuron-no-wave = neuron { $neuron }: no wave
waves-first-neurons = the first { $shown } of { $total } neurons
