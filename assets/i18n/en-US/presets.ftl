# The presets' descriptions (each preset file's own `description` is the English).
# Ids: preset- and the preset's name.

preset-batch-norm-rescue = The vanishing-gradients network with batch normalisation: every layer's signal is re-centred and rescaled, and it trains
preset-constant-init = Every weight starts at 0.5: all neurons of a layer get the same gradient and stay identical forever
preset-dead-relus = Relu units with too large a learning rate: one bad step pushes them below zero for every input, and dead units get no gradient to come back
preset-deep-relu-he = Twenty relu layers with he-normal init: the activation scale holds from input to output (compare deep-relu-xavier)
preset-deep-relu-xavier = Twenty relu layers with xavier-normal init: the activation scale halves at every layer (compare deep-relu-he)
preset-deep-spiral = Two interleaved spirals from x and y alone: six relu layers of 8 fold the plane into spirals
preset-digits-cnn = Handwritten digits with a small convolutional network: conv(8, 3x3) relu, pool, conv(16, 3x3) relu, dense(10)
preset-digits-mlp = Handwritten 8x8 digits with a one-hidden-layer perceptron: watch stroke detectors emerge in the first layer's receptive fields
preset-exploding-gradients = Twelve relu layers initialised at twice the He scale: activations and gradients explode and the run diverges
preset-grokking = Modular addition (a + b mod 59) with AdamW and weight decay: the training set is fitted within a few hundred steps, the test set only thousands of steps later
preset-homogenisation = Four replicas from different seeds on three spiral arms: they agree on their predictions, not on their weights
preset-mnist-cnn = The classic first CNN on 28x28 MNIST, as Keras builds and trains it, in f32
preset-multi-spiral = Three spiral arms, three classes: softmax cross-entropy over a relu network
preset-overfitting = A large network on a small, noisy training set: training loss falls while test loss rises (try dropout or l2)
preset-playground = TensorFlow Playground's default: circle data, two hidden tanh layers of 4 and 2 neurons
preset-regression = Regression: fit a landscape of Gaussian bumps with a small tanh network
preset-vanishing-gradients = Ten sigmoid layers: the gradient shrinks layer by layer toward the input and the first layers barely learn
preset-xor = The Playground's network on xor data: the first layer must draw two lines
