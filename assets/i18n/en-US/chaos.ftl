# chaos

## The Edge of chaos window. sigma_w², sigma_b², chi1 and xi_c are symbols:
## keep them.

chaos-window-title = Edge of chaos
# $activation: its name in the config (tanh, relu, …).
chaos-intro = { $activation } layers: left of the line signals fade with depth (ordered), right of it they scatter (chaotic). Networks train best near the line.
chaos-axis-weight-variance = sigma_w² (weight variance x fan-in)
chaos-axis-bias-variance = sigma_b² (bias variance)
# Plot legend.
chaos-region-ordered = ordered
chaos-region-chaotic = chaotic
chaos-this-network-series = this network
# $reason: the engine's explanation (English).
chaos-theory-not-applicable = The theory does not describe this network: { $reason }
chaos-theory-not-applicable-see-readme = The theory does not describe this network: see the README
chaos-bias-mean = Every bias starts at { NUMBER($mean, maximumFractionDigits: 6) }: the line is for that mean (the plane's sigma_b² is the variance around it).
# The phase, in chaos-this-network.
chaos-phase-ordered = ordered
chaos-phase-critical = critical
chaos-phase-chaotic = chaotic
chaos-phase-exploding = exploding
# $sigma_w2, $chi1: numbers formatted by the app.
chaos-this-network = This network: sigma_w² = { $sigma_w2 }, { $phase }, chi1 = { $chi1 }
# $xi: formatted by the app; $depth = layers / xi.
chaos-depth-scale = { $layers ->
    [one] Depth scale xi_c = { $xi } layers: this network is { NUMBER($depth, minimumFractionDigits: 1, maximumFractionDigits: 1) } depth scales deep ({ $layers } layer).
   *[other] Depth scale xi_c = { $xi } layers: this network is { NUMBER($depth, minimumFractionDigits: 1, maximumFractionDigits: 1) } depth scales deep ({ $layers } layers).
}
chaos-depth-scale-unbounded = { $layers ->
    [one] Depth scale: unbounded (critical): signals survive any depth; { $layers } layer.
   *[other] Depth scale: unbounded (critical): signals survive any depth; { $layers } layers.
}
chaos-reference = Schoenholz et al. (2017): a network trains when its depth is within a few depth scales.
