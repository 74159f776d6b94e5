# controls
# The settings panel on the left. The names of the config's values (data
# sets, activations, initialisations, losses, optimisers, features,
# padding) are not here: they stay as the config writes them.

controls-section-run = Run
controls-section-data = Data
controls-section-network = Network
controls-section-training = Training

## Where training stops by itself
controls-stop = stop
controls-stop-never = never
controls-stop-at-step = at step
controls-stop-after-epoch = after epoch
controls-stop-reached-step = reached (step { $step }): raise it to train on
controls-stop-reached-epochs = { $epochs ->
    [one] reached ({ $epochs } epoch done): raise it to train on
   *[other] reached ({ $epochs } epochs done): raise it to train on
}

## Data
controls-dataset = data set
controls-csv-file = CSV file
controls-classes = classes
controls-modulus = modulus p
controls-augment = augment: shift by a pixel, add noise
controls-noise = noise
controls-train-fraction = train fraction
controls-samples = samples
controls-input-features = Input features (or click them in the picture):

## Network
controls-hidden-layers = { $count ->
    [one] { $count } hidden layer
   *[other] { $count } hidden layers
}
controls-widths = widths
controls-activation = activation
controls-leaky-slope = leaky slope
controls-initialisation = initialisation
# The gain slider: what the gain means for the chosen initialisation
# ("zeros" is the initialisation's name in the config).
controls-gain-zeros = gain (ignored by zeros)
controls-gain-constant = gain (the constant)
controls-gain-uniform = gain (half-width)
controls-gain-normal = gain (sigma)
controls-gain-scale = gain (times the standard scale)
controls-bias-init = bias init
controls-batch-norm = batch normalisation
controls-dropout = dropout
controls-edge-of-chaos = Edge of chaos…
controls-edge-of-chaos-tooltip = Where this initialisation sits between order and chaos, by mean-field theory

## Convolution layers (image data)
controls-conv-layers = { $count ->
    [one] { $count } convolution layer
   *[other] { $count } convolution layers
}
controls-conv-layer = conv { $number }
# After the number of filters of a layer (a space is put before it).
controls-conv-filters = filters
controls-conv-pool = pool

## Training
controls-loss = loss
controls-optimiser = optimiser
controls-learning-rate = learning rate
controls-momentum = momentum
controls-nesterov = Nesterov
controls-batch-size = batch size
controls-l1 = L1
controls-l2 = L2
# "adamw" is the optimiser's name in the config.
controls-weight-decay-adam = weight decay: choose adamw
controls-weight-decay = weight decay
controls-gradient-clip = gradient clip (0: off)
