# replicas

replicas-view-title = Replicas: how alike do networks become?
replicas-count = replicas
replicas-count-tooltip = Copies of the network from other seeds, trained side by side on the same data
replicas-target-accuracy = target accuracy
# Followed by one toggle per initialisation, named as in the config (he-normal, xavier-uniform, ...).
replicas-inits = initialisations (none: all use the network's, with other seeds):
# Under each replica's output picture (its initialisation's config name goes on the next line).
replicas-replica = replica { $index }
replicas-replica-accuracy = replica { $index } { NUMBER($accuracy, style: "percent", maximumFractionDigits: 0) }
replicas-target-reached = { NUMBER($target, style: "percent", maximumFractionDigits: 0) } at step { $step }
replicas-target-not-yet = { NUMBER($target, style: "percent", maximumFractionDigits: 0) }: not yet

## The pair matrices

replicas-agree-test = Agree on test points
replicas-agree-test-tooltip = The fraction of test points on which two replicas predict the same class (regression: outputs within 10% of the target range)
replicas-agree-far = Agree far away
replicas-agree-far-tooltip = The same on points three times farther out than the data: where nothing constrained them
replicas-weights-raw = Weights, raw
replicas-weights-raw-tooltip = Cosine similarity of all parameters as they are: near zero, as neurons sit in any order
replicas-weights-matched = Weights, matched
replicas-weights-matched-tooltip = The same after matching each replica's neurons to the other's (Hungarian matching on incoming weights, layer by layer). Matching alone lifts two unrelated networks well above 0: compare with the chance level.
# A mean of a matrix's off-diagonal cells, passed to replicas-mean-and-chance.
replicas-mean-value = { NUMBER($value, minimumFractionDigits: 2, maximumFractionDigits: 2) }
# $mean and $chance are replicas-mean-value, or "-" when there is none.
replicas-mean-and-chance = mean { $mean }, by chance { $chance }
replicas-chance-tooltip = Chance: the same measure between unrelated predictions, or between the replicas' independent initial networks
replicas-cka-layer-choice = CKA, layer { $layer }
replicas-layer = layer { $layer }
replicas-cka = Representations alike
replicas-cka-tooltip = Linear CKA between the replicas' activations at this layer on the probe batch: 1 = the same up to rotation and scale
replicas-between-layers = Layers of replica 0 against each other (CKA)
replicas-between-layers-tooltip = How much each layer's representation resembles every other layer's: blocks of bright cells are layers that carry the same information
replicas-single = Add replicas to compare networks; a single network's layers are compared below.

## Over training

replicas-history-heading = Over training (means over pairs of replicas)
# Series names (legend and hover).
replicas-series-agreement = agreement (test)
replicas-series-agreement-chance = agreement by chance
replicas-series-far-agreement = agreement (far away)
replicas-series-weights-raw = weights, raw
replicas-series-weights-matched = weights, matched
replicas-series-matched-chance = matched, by chance
replicas-series-cka = CKA L{ $layer }
