//! The f32 products of convolutional networks (`network.precision =
//! "f32"`): outputs and gradients agree with the f64 ones to single
//! precision, a batch cut into slices for threads still computes the whole
//! batch's gradient (that the thread count changes no bit of an f32 run
//! is tests/mnist.rs's, whose preset computes in f32), a saved run resumes
//! in f32, the MNIST preset still learns, and an unknown precision
//! is refused naming the key and the value.

use emergence_lab::config::{ConfigSource, load_config, load_config_text};
use emergence_lab::nn::parallel::SlicedBatch;
use emergence_lab::nn::{Activation, ConvSpec, EngineRng, Init, Loss, Mode, Network, NetworkSpec, Precision, Workspace};
use emergence_lab::run::Run;
use emergence_lab::run::experiment;
use emergence_lab::train::Trainer;
use rand::{RngExt, SeedableRng};

const SIDE: usize = 14;
const CLASSES: usize = 10;

/// A small network of the MNIST network's kind (two valid convolutions,
/// each pooled, then dense layers), optionally with batch normalisation on
/// its dense layer.
fn network(activation: Activation, batch_norm: bool, precision: Precision, rng: &mut EngineRng) -> Network {
    let conv = |filters| ConvSpec { filters, kernel: 3, pad: 0, pool: true, activation };
    let spec = NetworkSpec {
        inputs: SIDE * SIDE,
        image: Some((1, SIDE, SIDE)),
        conv: vec![conv(4), conv(6)],
        hidden: vec![(12, activation)],
        outputs: CLASSES,
        init: Init::XavierUniform,
        gain: 1.0,
        bias_init: 0.05,
        bias_std: 0.0,
        batch_norm,
        dropout: 0.0,
        leaky_slope: 0.01,
    };
    let mut network = Network::new(&spec, rng);
    network.precision = precision;
    network
}

/// Random images and one-hot targets.
fn batch(rows: usize, rng: &mut EngineRng) -> (Vec<f64>, Vec<f64>) {
    let inputs = (0..rows * SIDE * SIDE).map(|_| rng.random_range(0.0..1.0)).collect();
    let mut targets = vec![0.0; rows * CLASSES];
    for row in targets.chunks_exact_mut(CLASSES) {
        row[rng.random_range(0..CLASSES)] = 1.0;
    }
    (inputs, targets)
}

/// The logits, the loss and the gradient of a batch in one workspace.
fn pass(network: &Network, inputs: &[f64], targets: &[f64], grads_before: f64) -> (Vec<f64>, f64, Vec<f64>) {
    let rows = targets.len() / CLASSES;
    let mut ws = Workspace::new(network, rows);
    assert_eq!(ws.precision(), network.precision);
    ws.load_input(inputs);
    network.forward(&mut ws, Mode::TrainFixedMasks);
    let (logits, grad) = ws.logits_and_grad();
    let logits = logits[..rows * CLASSES].to_vec();
    let loss = Loss::Ce.mean_and_grad(&logits, targets, rows, CLASSES, grad);
    let mut grads = vec![grads_before; network.params.len()];
    network.backward(&mut ws, &mut grads);
    (logits, loss, grads)
}

/// Whether `a` and `b` agree to `tolerance` of the larger of 1e-3 and the
/// largest value of `b`: each layer's numbers are compared at its own scale.
fn close(a: &[f64], b: &[f64], tolerance: f64) -> bool {
    let scale = b.iter().fold(1e-3f64, |m, v| m.max(v.abs()));
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance * scale)
}

#[test]
fn f32_outputs_and_gradients_agree_with_f64() {
    for activation in [Activation::Relu, Activation::Tanh, Activation::Elu] {
        for batch_norm in [false, true] {
            let mut rng = EngineRng::seed_from_u64(5);
            let wide = network(activation, batch_norm, Precision::F64, &mut rng);
            let narrow = Network { precision: Precision::F32, ..wide.clone() };
            let (inputs, targets) = batch(7, &mut rng);
            let (wide_logits, wide_loss, wide_grads) = pass(&wide, &inputs, &targets, 0.0);
            let (narrow_logits, narrow_loss, narrow_grads) = pass(&narrow, &inputs, &targets, 0.0);
            let case = format!("{}, batch norm {batch_norm}", activation.name());
            assert_ne!(wide_logits, narrow_logits, "{case}: the f32 products ran");
            assert!(close(&narrow_logits, &wide_logits, 1e-5), "{case}: logits {narrow_logits:?} vs {wide_logits:?}");
            assert!((narrow_loss - wide_loss).abs() <= 1e-5 * wide_loss, "{case}: loss {narrow_loss} vs {wide_loss}");
            for (index, layer) in wide.layers.iter().enumerate() {
                for range in layer.param_ranges() {
                    let (a, b) = (&narrow_grads[range.clone()], &wide_grads[range]);
                    assert!(close(a, b, 1e-4), "{case}: layer {index}'s gradient {a:?} vs {b:?}");
                }
            }
            // Every gradient is written, whatever the buffer held before.
            assert_eq!(pass(&narrow, &inputs, &targets, f64::NAN).2, narrow_grads, "{case}");
            assert_eq!(pass(&wide, &inputs, &targets, f64::NAN).2, wide_grads, "{case}");
        }
    }
}

#[test]
fn an_f32_batch_cut_into_slices_gives_the_whole_batchs_gradient() {
    for activation in [Activation::Relu, Activation::Tanh, Activation::Softplus] {
        let mut rng = EngineRng::seed_from_u64(11);
        let network = network(activation, false, Precision::F32, &mut rng);
        let rows = 9;
        let (inputs, targets) = batch(rows, &mut rng);
        let (_, loss, expected) = pass(&network, &inputs, &targets, 0.0);
        let train = |slice_rows: usize| {
            let mut batch = SlicedBatch::new(&network, rows, slice_rows);
            let width = SIDE * SIDE;
            batch.load(rows, |first, out| out.copy_from_slice(&inputs[first * width..first * width + out.len()]));
            let mut grads = vec![f64::NAN; network.params.len()];
            let loss = batch.train(&network, Loss::Ce, &targets, &mut grads);
            (loss, grads)
        };
        let name = activation.name();
        // One slice is the whole batch: the training workspace, which keeps
        // only what the backward pass reads, computes the same bits.
        assert_eq!(train(rows), (loss, expected.clone()), "{name}");
        for slice_rows in [4, 2] {
            let (sliced_loss, grads) = train(slice_rows);
            assert!((sliced_loss - loss).abs() <= 1e-12 * loss, "{name}, slices of {slice_rows}: {sliced_loss} vs {loss}");
            for (index, layer) in network.layers.iter().enumerate() {
                for range in layer.param_ranges() {
                    let (a, b) = (&grads[range.clone()], &expected[range]);
                    // Each slice's products sum in f32, and the slices' sums in f64.
                    assert!(close(a, b, 1e-4), "{name}, slices of {slice_rows}: layer {index}: {a:?} vs {b:?}");
                }
            }
            assert_eq!(train(slice_rows), (sliced_loss, grads), "{name}, slices of {slice_rows}: the same bits every time");
        }
    }
}

#[test]
fn a_saved_f32_run_resumes_in_f32() {
    let config = load_config(&ConfigSource::Preset("digits-cnn".into()), &["network.precision=f32".into()]).unwrap();
    let mut straight = Run::new(config.clone()).unwrap();
    straight.run(60);
    let mut first = Run::new(config).unwrap();
    first.run(25);
    let mut resumed = experiment::from_bytes(&experiment::to_bytes(&first), "mem").unwrap();
    assert_eq!(resumed.main().network().precision, Precision::F32);
    resumed.run(35);
    let bits = |run: &Run| run.main().network().params.iter().map(|p| p.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&resumed), bits(&straight));
}

#[test]
fn the_mnist_preset_computes_in_f32_and_learns_in_one_epoch() {
    let config = load_config(&ConfigSource::Preset("mnist-cnn".into()), &["training.log_every=250".into()]).unwrap();
    assert_eq!(config.network.precision, Precision::F32);
    let mut trainer = Trainer::new(config).unwrap();
    assert_eq!(trainer.network().precision, Precision::F32);
    assert_eq!(trainer.run(250), 250);
    let accuracy = trainer.latest().test_acc.unwrap();
    assert!(accuracy > 0.95, "test accuracy after one epoch: {accuracy}");
}

/// A linear convolutional network at a learning rate of 10 blows up; the
/// run stops at the first non-finite activation and names its layer, in
/// f32 as in f64 (f32 overflows sooner: its largest number is 3.4e38), and
/// the network is left finite.
#[test]
fn a_diverging_convolutional_run_stops_at_the_first_non_finite_activation() {
    let mut stopped = Vec::new();
    for precision in ["f64", "f32"] {
        let sets = ["network.activation=linear", "network.gain=5", "training.optimizer=sgd", "training.learning_rate=10"];
        let mut sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        sets.push(format!("network.precision={precision}"));
        let mut trainer = Trainer::new(load_config(&ConfigSource::Preset("digits-cnn".into()), &sets).unwrap()).unwrap();
        assert!(trainer.threads() >= 1 && trainer.run(100) < 100, "{precision}: no divergence");
        let divergence = trainer.diverged().unwrap().clone();
        assert_eq!(divergence.what, emergence_lab::train::NonFinite::Activation, "{precision}: {divergence}");
        assert!(divergence.layer.is_some_and(|layer| layer <= trainer.network().layers.len()), "{precision}: {divergence}");
        assert!(trainer.network().params.iter().all(|p| p.is_finite()), "{precision}");
        stopped.push(divergence.step);
    }
    assert!(stopped[1] <= stopped[0], "f32 overflows no later than f64: steps {stopped:?}");
}

#[test]
fn an_unknown_precision_is_refused_naming_the_key_and_the_value() {
    let error = load_config(&ConfigSource::Preset("mnist-cnn".into()), &["network.precision=f16".into()]).unwrap_err().to_string();
    assert!(error.contains("network.precision") && error.contains("f16") && error.contains("f32"), "{error}");
    let error = load_config_text("[network]\nprecision = \"double\"\n", "mine.toml", &[]).unwrap_err().to_string();
    assert!(error.contains("precision") && error.contains("double") && error.contains("mine.toml"), "{error}");
    let config = load_config_text("[network]\nprecision = \"f32\"\n", "mine.toml", &[]).unwrap();
    assert_eq!(config.network.precision, Precision::F32);
}
