#!/usr/bin/env bash
# The classic first CNN, side by side on this machine: Emergence Lab's
# `mnist-cnn` preset (release build, no app) and the same model in Keras,
# on the same 10,000 MNIST digits, 5 epochs of 8,000 training images each.
# Prints each one's training speed (images per second of training alone,
# as Keras's script measures it: no evaluation inside), test accuracy and
# time per epoch, and the ratio of the speeds.
#
# Usage: benches/mnist_vs_keras.sh KERAS_SCRIPT [ROUNDS]
#   KERAS_SCRIPT  a copy of keras_mnist_cnn.py (not part of this project;
#                 it needs `pip install tensorflow-cpu`)
#   ROUNDS        rounds of both runs, one after the other (default 1)
# Environment: PYTHON (default python3), SEED (default 1), CARGO_TARGET_DIR,
# EMERGENCE_LAB_THREADS (threads per training step; default: every CPU).
set -euo pipefail

if [[ $# -lt 1 || ! -f $1 ]]; then
    echo "usage: $0 KERAS_SCRIPT [ROUNDS]" >&2
    exit 2
fi
keras_script=$1
rounds=${2:-1}
python=${PYTHON:-python3}
seed=${SEED:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
images=$root/assets/mnist-10k-images-idx3-ubyte.gz
labels=$root/assets/mnist-10k-labels-idx1-ubyte.gz

cargo build --quiet --release --no-default-features --manifest-path "$root/Cargo.toml"
lab=${CARGO_TARGET_DIR:-$root/target}/release/emergence-lab
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for round in $(seq 1 "$rounds"); do
    "$lab" run --preset mnist-cnn --seed "$seed" --out "$work/lab" 2> "$work/lab.log" || { cat "$work/lab.log" >&2; exit 1; }
    "$python" "$keras_script" "$images" "$labels" 5 > "$work/keras.json"
    "$python" - "$work/lab/summary.json" "$work/keras.json" "$round" <<'EOF'
import json, sys
lab = json.load(open(sys.argv[1]))
keras = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
training_s = lab["wall_seconds"] - lab["probe_seconds"]
lab_rate = lab["training_samples_per_second"]
epochs = lab_rate * training_s / 8000  # the preset's training images
print(f"round {sys.argv[3]}")
print(f"  emergence-lab  {lab_rate:7.0f} images/s  test accuracy {100 * lab['final']['test_acc']:.1f}%  "
      f"{training_s / epochs:.2f} s per epoch ({epochs:.0f} epochs, {lab['kernels']['threads']} threads; "
      f"with the probes {lab['samples_per_second']:.0f} images/s, {lab['wall_seconds']:.1f} s)")
print(f"  keras {keras['tf']:8} {keras['images_per_s']:7.0f} images/s  test accuracy {100 * keras['test_accuracy']:.1f}%  "
      f"{keras['train_s'] / keras['epochs']:.2f} s per epoch ({keras['epochs']} epochs, {keras['threads']} CPUs)")
print(f"  speed ratio emergence-lab / keras: {lab_rate / keras['images_per_s']:.2f}")
print("  (test sets: emergence-lab's seeded split keeps each digit's share, 2,000 images; Keras's script tests the last 2,000)")
EOF
done
