#!/usr/bin/env bash
# Frame time of the app on every preset against an empty Bevy + egui window
# of the same size, measured in the same run and interleaved (the empty
# window just before each preset), so a noisy machine moves both. The
# dev build, under Xvfb with the software Vulkan renderer (lavapipe), as
# the window tests run.
#
# Usage: benches/frame_times.sh [ROUNDS] [FRAMES] [PRESET...]
#   ROUNDS   rounds over the presets (default 2)
#   FRAMES   frames per run (default 150; the first 3 are not counted)
#   PRESET   presets to measure (default: all of them)
# Environment: SPEED (default 0: paused; "max" or steps per second: trains
# while drawing, and the empty window then runs beside a spinning thread,
# as the app beside its training thread); STEPS (default 0: each preset at
# its start; N: trained N steps headless first and opened there, so the
# charts hold a long history); CARGO_TARGET_DIR.
#
# Prints each run's average frame time and its ratio to the empty window's
# just before it, then each preset's median and worst ratio.
set -euo pipefail

rounds=${1:-2}
frames=${2:-150}
shift $(( $# < 2 ? $# : 2 ))
speed=${SPEED:-0}
steps=${STEPS:-0}
busy=
[[ $speed == 0 ]] || busy=busy
root=$(cd "$(dirname "$0")/.." && pwd)

cargo build --quiet --features gui --manifest-path "$root/Cargo.toml" --bin emergence-lab --example empty_window
target=${CARGO_TARGET_DIR:-$root/target}/debug
presets=("$@")
if [[ ${#presets[@]} -eq 0 ]]; then
    mapfile -t presets < <("$target/emergence-lab" presets | awk '{print $1}')
fi

in_window() {
    xvfb-run -a -s "-screen 0 1280x800x24" "$@" 2>/dev/null | sed -n 's/.*average frame time \([0-9.]*\) ms.*/\1/p' | tail -1
}

# With STEPS, every preset's run trained headless once, before the rounds.
declare -A opened
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for preset in "${presets[@]}"; do
    opened[$preset]="--preset $preset"
    if [[ $steps != 0 ]]; then
        "$target/emergence-lab" run --preset "$preset" --steps "$steps" --experiment --skip model,data --out "$work/$preset" 2>/dev/null
        opened[$preset]="--experiment $work/$preset/experiment.emlab"
    fi
done

declare -A worst ratios
for round in $(seq 1 "$rounds"); do
    echo "round $round"
    for preset in "${presets[@]}"; do
        # The empty window just before each preset: this machine's speed
        # drifts over a round.
        empty=$(in_window "$target/examples/empty_window" "$frames" $busy)
        # shellcheck disable=SC2086 # two words: the option and its value
        ms=$(in_window "$target/emergence-lab" gui ${opened[$preset]} --speed "$speed" --frames "$frames" --pointer 5,795)
        ratio=$(awk -v a="$ms" -v b="$empty" 'BEGIN { printf "%.2f", a / b }')
        printf '  %-20s %6.2f ms  empty window %6.2f ms  %sx\n' "$preset" "$ms" "$empty" "$ratio"
        ratios[$preset]+="$ratio "
        if [[ -z ${worst[$preset]:-} ]] || awk -v a="$ratio" -v b="${worst[$preset]}" 'BEGIN { exit !(a > b) }'; then
            worst[$preset]=$ratio
        fi
    done
done
echo "ratio to the empty window over $rounds round(s), speed $speed, from step $steps: median, worst"
for preset in "${presets[@]}"; do
    median=$(echo "${ratios[$preset]}" | tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    printf '  %-20s %sx  %sx\n' "$preset" "$median" "${worst[$preset]}"
done
