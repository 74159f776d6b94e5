# digits

digits-preparing = Looking at the digits...
digits-shown-test = Feature maps and outputs are for test digit { $index } (true label { $label }).
digits-shown-canvas = Feature maps and outputs are for the digit on the canvas.

## The network's side: each layer's title, its filters, maps and neurons

digits-layer-conv = Layer { $layer }: { $filters ->
        [one] { $filters } filter
       *[other] { $filters } filters
    } { $kernel }x{ $kernel } ({ $height }x{ $width } maps)
digits-layer-pool = Layer { $layer }: 2x2 max pool ({ $height }x{ $width } maps)
digits-layer-dense = Layer { $layer }: { $neurons ->
        [one] { $neurons } neuron
       *[other] { $neurons } neurons
    }
digits-filters = filters (one row of input channels each):
digits-filter = filter { $filter } over { $channels ->
        [one] { $channels } input channel
       *[other] { $channels } input channels
    }
digits-filter-maps = its maps on the chosen digit:
digits-channel = channel { $channel } on the chosen digit
digits-receptive-fields = each neuron's receptive field: its incoming weights as an image (blue positive, orange negative)
digits-neuron-output = neuron { $neuron }: output { NUMBER($output, minimumFractionDigits: 3, maximumFractionDigits: 3) } on the chosen digit
digits-class-means = each neuron's mean output per class (bars 0 to 9) on the test digits
digits-strongest = neuron { $neuron }: strongest for { $digit }

## The test digits and the confusion matrix. $confidence is 0 to 1.

digits-test-digits = Test digits
digits-test-digits-tooltip = The network's guess and confidence under each; red: wrong. Click one to see its feature maps.
# Under each test digit: the guess and how sure the network is.
digits-guess-caption = { $guess } { NUMBER($confidence, style: "percent", maximumFractionDigits: 0) }
digits-guess-tooltip = true { $label }, guessed { $guess } ({ NUMBER($confidence, style: "percent", maximumFractionDigits: 0) })
digits-confusion = Confusion matrix (step { $step })
digits-confusion-counting = Confusion matrix (counting the test set…)
digits-confusion-tooltip = Rows: the true digit; columns: the guess. The diagonal is right. Counted over the whole test set a few digits per frame, for the network as it was at that step.

## The canvas

digits-draw = Draw a digit
digits-clear = Clear
digits-sure = { NUMBER($confidence, style: "percent", maximumFractionDigits: 0) } sure
digits-show-canvas = Show the canvas's maps
digits-preprocessed = What the network sees: fitted into 20x20 and centred by its centre of mass, as MNIST's digits were
