# run-bar

## The run bar

run-bar-play = ▶ Play
run-bar-pause = ⏸ Pause
run-bar-step = Step
run-bar-step-tooltip = S: one training step
run-bar-reset = ⟲ Reset
run-bar-reset-tooltip = R: a fresh network from the same settings
run-bar-speed = Speed
run-bar-speed-rate = { $rate } steps/s
run-bar-speed-max = full speed
run-bar-speed-tooltip = The most training steps a second; the window stays responsive at any speed.
run-bar-seed = Seed
run-bar-next-seed = Next
run-bar-next-seed-tooltip = The next seed: new data and new weights
run-bar-presets = Presets
run-bar-help = Help
run-bar-larger-tooltip = Larger (+)
run-bar-smaller-tooltip = Smaller (−)
run-bar-present = Present
run-bar-present-tooltip = P: hide the side panels so the network fills the screen; F11 fullscreen
run-bar-files = Files
run-bar-replicas = Replicas
run-bar-lessons = Lessons
run-bar-charts = Charts
run-bar-settings = Settings

## The status line: a monospace line whose numbers come padded (as text)
## so that the columns stay aligned.

run-bar-status = step { $step }   epoch { $epoch }   { $samples } samples/s   { $steps } steps/s   frame { $frame } ms

## The divergence banner. $divergence is the engine's description of where
## a value stopped being finite (in English).

run-bar-diverged = Training diverged: { $divergence }.
run-bar-diverged-advice = Numbers grew past what a computer can hold. Try a smaller learning rate or gain, or clip gradients.
run-bar-diverged-reset = Reset
run-bar-diverged-reset-clipping = Reset with gradient clipping
run-bar-diverged-reset-slower = Reset with learning rate / 10

## The help window

run-bar-help-title = Help
run-bar-help-neurons = Each square is a neuron: its output at every point of the input plane. Blue is positive, orange negative, white zero; magenta marks a number that is not finite.
run-bar-help-lines = Lines are weights: blue positive, orange negative, thicker is larger. Switch them to gradient colouring to see where the learning signal flows and where it dies.
run-bar-help-hover = Hover a neuron for its statistics; click it to inspect it. Hover a line to read its weight.
run-bar-help-charts = The charts on the right read the per-layer signals: a gradient norm that falls layer by layer toward the input is a vanishing gradient; one that grows is exploding.

## The keyboard shortcuts (the help window's table; the keys themselves
## are not translated)

run-bar-key-play = play / pause
run-bar-key-step = one step
run-bar-key-reset = reset the network
run-bar-key-help = this help
run-bar-key-zoom = larger / smaller interface
run-bar-key-present = presentation: hide the side panels
run-bar-key-contrast = high-contrast theme
run-bar-key-lessons = lessons
run-bar-key-step-through = step through one training step
run-bar-key-stages = step through: next / previous stage
run-bar-key-apply = step through: apply the update shown
run-bar-key-fullscreen = fullscreen
run-bar-key-screenshot = screenshot
