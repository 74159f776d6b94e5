//! Training throughput in samples per second: one `Trainer::step` (gather
//! the batch, forward, loss, backward, divergence checks, update) on the
//! networks TensorFlow Playground's engine was measured on: 2-4-2-1 tanh and
//! 2-8x6-1 tanh, circle data, batch 10, squared error, sgd at 0.03; and on
//! the digits and MNIST networks.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use emergence_lab::benchmarks::{PLAYGROUND_NETWORKS, playground_config};
use emergence_lab::config::{ConfigSource, load_config};
use emergence_lab::train::Trainer;

fn training_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("training_step");
    for (name, hidden) in PLAYGROUND_NETWORKS {
        let mut trainer = Trainer::new(playground_config(hidden)).expect("circle data builds");
        group.throughput(Throughput::Elements(trainer.batch_size() as u64));
        group.bench_function(name, |b| b.iter(|| trainer.step()));
    }
    // For reference, not a Playground figure: the digits networks.
    for preset in ["digits-mlp", "digits-cnn"] {
        let config = load_config(&ConfigSource::Preset(preset.into()), &["training.log_every=10000000".into()]).expect("a shipped preset");
        let mut trainer = Trainer::new(config).expect("the digits load");
        group.throughput(Throughput::Elements(trainer.batch_size() as u64));
        group.bench_function(preset, |b| b.iter(|| trainer.step()));
    }
    // The classic first CNN on 28x28 MNIST (conv 32, pool, conv 64, pool,
    // dense 128, dense 10; batch 32): Keras trains it at 1,918 images/s on
    // the development machine.
    let config = load_config(&ConfigSource::Preset("mnist-cnn".into()), &["training.log_every=10000000".into()]).expect("a shipped preset");
    let mut trainer = Trainer::new(config).expect("the shipped MNIST digits load");
    group.throughput(Throughput::Elements(trainer.batch_size() as u64));
    group.sample_size(20);
    group.bench_function("mnist-cnn", |b| b.iter(|| trainer.step()));
    group.finish();
}

criterion_group!(benches, training_step);
criterion_main!(benches);
