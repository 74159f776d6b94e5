# step

## The "Step through" window: the words around the step's numbers (the
## formulas and number tables are written by the engine, in Rust).

step-window-title = Step through one training step
step-refused = This network cannot be stepped through.
step-refused-explanation = Step through reads dense networks of up to { $layers } hidden layers of up to { $neurons } neurons, without batch normalisation or dropout: small enough to read every number. The playground preset is one.
step-running = Training is running. Pause it to see the next step on point { NUMBER($point, useGrouping: "false") }.
step-pause = ⏸ Pause
step-working = Working out the step…

# Stage titles ($layer counts from 1).
step-stage-forward = Forward: layer { $layer } of { $layers }
step-stage-forward-output = Forward: the output layer ({ $layer } of { $layers })
step-stage-loss = The loss
step-stage-backward = Backward: layer { $layer } of { $layers }
step-stage-backward-output = Backward: the output layer ({ $layer } of { $layers })
step-stage-update = The update
# The short stage buttons (the layer's are ▶1, ◀1, …).
step-short-loss = loss
step-short-update = update

# Choosing the point.
step-training-point = Training point
step-next-point = next point
step-next-point-button = Next point
step-next-point-tooltip = The point the next training step starts its batch with
step-click-a-point = or click a point in the output picture

# $x, $y, $value: numbers as the formulas write them.
step-summary-class = Step { $step } on point { NUMBER($point, useGrouping: "false") } at ({ $x }, { $y }), class { $class }
step-summary-value = Step { $step } on point { NUMBER($point, useGrouping: "false") } at ({ $x }, { $y }), value { $value }
# Monospace lines: "x = 0.5, y = -0.2".
step-inputs-line = inputs  { $inputs }
step-target-line = target  t = { $target }
step-batch-of-one = A batch of one: this point's gradient alone. Training takes batches of { $size } and averages their gradients.

# Navigation.
step-previous = ◀ Previous
step-previous-tooltip = Left arrow key
step-next = Next ▶
step-next-tooltip = Right arrow key
step-apply = Apply the step
step-apply-tooltip = Enter: take this step for real; the pictures redraw with the new weights

# Forward.
step-forward-output-mse = The output layer adds up its inputs times its weights, plus its bias; its sum z is the network's output y.
step-forward-output-bce = The output layer adds up its inputs times its weights, plus its bias; the loss turns its sum z into a probability with the sigmoid.
step-forward-output-ce = The output layer adds up its inputs times its weights, plus its bias; the loss turns the sums z into class probabilities with the softmax.
# $activation: the activation's name in the config (relu, tanh, …).
step-forward-hidden = Each neuron adds up its inputs times its weights, plus its bias (z), then applies { $activation } (a): a is what the next layer reads.
step-reads-line = reads  { $inputs }
step-forward-hint = The point is ringed on every neuron's picture; hover a neuron for its formula.

# The loss.
step-loss-mse = Squared error: half the squared distance between the output y and the target t.
step-loss-bce = Binary cross-entropy: minus the log of the probability given to the point's class.
step-loss-ce = Cross-entropy: minus the log of the probability given to the point's class.
step-loss-penalty = penalty on the weights (L1, L2) = { $penalty }
# $formula: the engine's formula.
step-loss-gradient = Its gradient, where the backward pass starts: { $formula }.

# Backward.
step-backward-output = Each output's delta (dL/dz) is the loss's gradient.
step-backward-hidden = Each neuron's delta (dL/dz) gathers the deltas of the layer above, each times the weight to it, then multiplies by the slope f'(z) of its activation.
step-gradients-heading = Gradients: dL/dw = delta × input, dL/db = delta
step-gradients-hint = On the diagram this layer's lines are coloured by them: blue positive, orange negative, thicker is larger.
step-bias-column = bias
# $from, $to: neuron names (x, h1.2, out0); $arithmetic: "0.1 × 0.2 = 0.02".
step-weight-gradient-tooltip = dL/dw from { $from } to { $to } = delta × input = { $arithmetic }
step-bias-gradient-tooltip = dL/db of { $neuron } = delta

# The update. $optimizer: its name in the config (sgd, adam, …).
step-update-intro = The optimiser ({ $optimizer }, learning rate { $rate }) turns each gradient into a step:
step-clipping = Clipping: the gradient's norm { $norm } against the limit { $limit }: every gradient times { $factor }.
step-update-hint = Hover a row for its arithmetic. On the diagram every line is coloured by its step.
step-update-layer = Layer { $layer }
step-update-apply-hint = Apply takes this step for real: the weights become the new values and the pictures redraw.
step-column-old = old
step-column-step = step
step-column-new = new
step-weight-row = { $from } to { $to }
step-bias-row = bias { $neuron }

# After Apply.
step-taken-heading = Step taken
step-taken = Step { $step } on point { NUMBER($point, useGrouping: "false") } is taken: every weight and bias moved by the step shown, and the pictures show the new network.
step-taken-loss-line = loss on this point  before { $before }  after { $after }
step-taken-loss-down = The loss on this point went down: the step moved the weights down the slope of its loss.
step-taken-loss-up = The loss on this point went up: the step overshot (too large a learning rate for this point), or the optimiser's momentum carried it on.
step-next-step-on-point = Next step on this point ▶
