# charts

## Loss and accuracy over steps

charts-loss-heading = Loss
charts-log-steps = log steps
charts-log-steps-tooltip = A logarithmic step axis: early phases and late jumps both visible
# Series names (legend and hover).
charts-train = train
charts-test = test
charts-plateau = plateau
charts-sudden-drop = sudden drop
charts-accuracy-heading = Accuracy
charts-accuracy-tooltip = Vertical lines: when training and test accuracy first reached 95%
charts-train-fitted = train fitted (step { $step })
charts-test-fitted = test fitted (step { $step })
charts-median-wave-share = median wave share
charts-delayed-generalisation = test accuracy followed { $steps ->
        [one] { $steps } step
       *[other] { $steps } steps
    } after training accuracy: a delayed generalisation

## Per-layer charts

charts-gradient-heading = Gradient norm per layer
charts-gradient-tooltip = The size of the loss gradient reaching each layer's weights. Lines far apart, input layers lowest: vanishing gradients.
charts-relative-gradients = relative to the output
charts-relative-gradients-tooltip = Each layer's gradient norm divided by the output layer's: what theory predicts, and steady while the overall size swings from probe to probe
charts-activation-heading = Activation spread per layer (std)
# Shown instead of a legend when there are many layers.
charts-layer-colours = dark: input side, bright: output side
charts-long-history = a long history: each line is the mean of a few steps; a faint band, where there is one, spans their lowest to highest value
# A layer's short name in the charts (series name), numbered from 1.
charts-layer-short = L{ $layer }
# One entry of "dead units: L1 31%, L3 5%".
charts-layer-fraction = L{ $layer } { NUMBER($fraction, style: "percent", maximumFractionDigits: 0) }
# Between the entries of a list such as "L1 31%, L3 5%".
charts-list-separator = {", "}
charts-dead-units-by-layer = dead units: { $layers }
charts-saturated-by-layer = saturated outputs: { $layers }
charts-profile-heading = Per layer at step { $step }
charts-profile-tooltip = Bars: log10 of each layer's gradient norm; the signal-propagation picture at a glance.
charts-profile-series = log10 gradient norm

## The theory's dashed lines

# $reason is the engine's description (in English).
charts-theory-none = dashed theory lines: none here ({ $reason })
charts-theory-does-not-apply = the theory does not apply
charts-phase-ordered = ordered
charts-phase-critical = critical
charts-phase-chaotic = chaotic
charts-phase-exploding = exploding
# $phase is one of the charts-phase-* words; $xi may be infinite (written ∞).
charts-theory-caption = dashed: mean-field theory at initialisation (infinite width); { $phase }, chi1 = { NUMBER($chi1, minimumFractionDigits: 2, maximumFractionDigits: 2) }, depth scale { NUMBER($xi, minimumFractionDigits: 1, maximumFractionDigits: 1) } layers ({ $depth ->
        [one] { $depth } layer
       *[other] { $depth } layers
    } deep)

## Features settled, and how alike a layer's neurons are

charts-settled-heading = Features settled
charts-settled-tooltip = The step by which 90% of a layer's neurons stopped changing (less than 2% per 100 steps); no bar: still changing. Green dots on the tiles mark settled neurons.
charts-settled-series = settled at step
charts-within-layer-heading = Alike within each layer
charts-within-layer-tooltip = Mean correlation between the outputs of a layer's neurons on the probe batch: 1 means every neuron does the same thing, 0 is what unrelated neurons give (the chance level), whatever the activation.
charts-within-layer-series = mean pairwise correlation

## Histograms (also the neuron inspector's)

charts-histogram-heading = Histogram
charts-layer = layer { $layer }
charts-histogram-weights = weights
charts-histogram-pre-activations = pre-act.
charts-histogram-activations = act.
charts-histogram-gradients = gradients
charts-histogram-count = count
charts-histogram-below = { $count } below
charts-histogram-above = { $count } above
charts-histogram-zeros = { $count } exactly zero
charts-histogram-non-finite = { $count } not finite
charts-histogram-log-axis = x: log10 of the magnitude
# $counts is a list of the charts-histogram-below/above/zeros/non-finite entries.
charts-histogram-outside = outside the bins: { $counts }
