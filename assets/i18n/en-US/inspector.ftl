# inspector

## The neuron inspector window ($layer and $unit count from 1).

inspector-title-output = Output { $unit }
inspector-title-neuron = Layer { $layer } neuron { $unit }
inspector-pictures-limit = (only the first { $count } neurons of a layer have pictures)
# A line of numbers, formatted by the app: $gradient in scientific notation (1.234e-3).
inspector-statistics = mean { $mean }   std { $std }   incoming gradient norm { $gradient }
inspector-activation-heading = Activation over the probe batch
inspector-weights-heading = Incoming weights
# The bar chart's series name.
inspector-weight-series = weight
inspector-bias = bias { NUMBER($bias, minimumFractionDigits: 4, maximumFractionDigits: 4) }
