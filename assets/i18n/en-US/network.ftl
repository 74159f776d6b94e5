# network

network-preparing = Preparing the pictures...

## The tabs above the centre: what it shows

view-network = Network
view-network-tooltip = The network: its neurons and connections, and what each one responds to
view-replicas = Replicas
view-replicas-tooltip = Copies of the network from other seeds, trained side by side: how alike do they become?
view-waves = Waves
view-waves-tooltip = What each neuron learns: its weights over the residues, and their frequencies

## The view's options

network-test-data = test data
network-discretise = discretise output
network-scale-each-neuron = scale each neuron
network-scale-each-neuron-tooltip = Colours scaled to each neuron's own range: shows the shape of tiny signals; off, faint squares mean small outputs (vanishing signal).
network-edges = edges:
network-edges-weight = weight
network-edges-gradient = gradient
network-step-through = Step through…
network-step-through-tooltip = E: one training step on one point, forward and backward, with every number

## Above the columns

network-inputs-heading = inputs
network-output-heading = output
network-fewer-neurons-tooltip = one neuron fewer
network-more-neurons-tooltip = one neuron more
# Below a column that has more neurons than are drawn.
network-more-units = +{ $count } more

## The input tiles' hover texts. $name is a feature's name (x1, sin(x1), …)
## or a and b, the two numbers of modular addition.

network-pair-input = input { $name }: one-hot over 0 to { $last } (this picture shows its value over the table)
network-feature = input feature { $name }
network-feature-off = input feature { $name } (off: click to use it)

## A neuron's hover text. $formula is the neuron's formula (maths, as the
## engine writes it); $name an activation's name as the settings write it.

network-output-unit = output { $number }
network-neuron = layer { $layer } neuron { $neuron }
network-formula-then-sigmoid = { $formula }, then the loss's sigmoid
network-formula-then-softmax = { $formula }, then the loss's softmax over the outputs
network-formula-too-long = { $inputs } inputs: too many terms to write its formula out
network-at-point = at training point { $point }:
network-activation = activation: { $name }
network-mean-std = mean { NUMBER($mean, minimumFractionDigits: 4, maximumFractionDigits: 4) }, std { NUMBER($std, minimumFractionDigits: 4, maximumFractionDigits: 4) }
network-dead = dead: zero on every probe point
network-alive = alive
network-saturated = saturated on { NUMBER($share, style: "percent", maximumFractionDigits: 0) } of probe points
# $norm is written in scientific notation (1.234e-5).
network-incoming-gradient = incoming gradient norm { $norm }
network-settled = feature settled since step { $step } (green dot)
network-still-changing = feature still changing: { NUMBER($rate, style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1) } per 100 steps
network-settling-unknown = too early to tell whether its feature has settled
network-click-to-inspect = click to inspect

## A line's hover text. $from and $to are neurons' names (x1, h1.2, out).
## dL/dw is a formula symbol.

network-edge-title = { $from } to { $to } (weight layer { $layer })
network-edge-point-gradient = dL/dw is the gradient of point { $point }'s loss
network-edge-probe-gradient = dL/dw over the probe batch at step { $step }

## The output picture

network-pick-point = training point { $point }: click to step through it
# Stepping through, above the output picture; $value is written by the app.
network-overlay-loss = loss { $value }
# Modular addition's output picture: the table of a + b mod p.
network-pairs-caption =
    a + b mod { $modulus }, a down, b across
    green right, red wrong, pale: trained on
# Two monospace lines under the output picture, aligned: the numbers come
# written ($accuracy is empty or two spaces and a percentage).
network-test-loss = test  loss { $loss }{ $accuracy }
network-train-loss = train loss { $loss }{ $accuracy }

# Before the change the last training step made to a weight, in an edge tooltip.
network-last-update = last update
