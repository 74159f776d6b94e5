//! MNIST: the shipped digits train the `mnist-cnn` preset from the command
//! line; a user's own IDX files are read (relative to the config that
//! names them) and bad ones are refused with exit code 2 naming the file;
//! a batch cut into slices for threads computes the whole batch's gradient,
//! and the thread count changes no bit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use emergence_lab::data::idx::encode;
use emergence_lab::data::mnist::{PIXELS, shipped};
use emergence_lab::nn::parallel::SlicedBatch;
use emergence_lab::nn::{Activation, ConvSpec, EngineRng, Init, Loss, Mode, Network, NetworkSpec, Workspace};
use rand::{RngExt, SeedableRng};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emergence-lab")).args(args).output().expect("the binary starts")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The first `count` shipped digits as a pair of IDX files in `dir`.
fn write_subset(dir: &Path, count: usize) -> (PathBuf, PathBuf) {
    let set = shipped();
    let images = dir.join("images-idx3-ubyte.gz");
    let labels = dir.join("labels-idx1-ubyte");
    std::fs::write(&images, gzip(&encode(&[count, 28, 28], &set.images.pixels[..count * PIXELS]))).unwrap();
    std::fs::write(&labels, encode(&[count], &set.labels[..count])).unwrap();
    (images, labels)
}

#[test]
fn the_preset_learns_the_shipped_digits_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mnist");
    let args = ["run", "--preset", "mnist-cnn", "--steps", "150", "--set", "training.log_every=150", "--out", out.to_str().unwrap()];
    let output = run(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let accuracy = summary["final"]["test_acc"].as_f64().unwrap();
    assert!(accuracy > 0.9, "test accuracy after 150 steps: {accuracy}");
    assert_eq!(summary["kernels"]["portable"], false);
    assert!(summary["kernels"]["threads"].as_u64().unwrap() >= 1);
    assert!(summary["training_samples_per_second"].as_f64().unwrap() > summary["samples_per_second"].as_f64().unwrap());
    let train = std::fs::read_to_string(out.join("data_train.csv")).unwrap();
    let mut lines = train.lines();
    assert_eq!(lines.next().unwrap().split(',').count(), 785);
    let first: Vec<u32> = lines.next().unwrap().split(',').map(|v| v.parse().unwrap()).collect();
    assert!(first[..784].iter().all(|&v| v <= 255) && first[..784].iter().any(|&v| v > 200) && first[784] < 10);
    assert_eq!(train.lines().count(), 8001);
    assert_eq!(std::fs::read_to_string(out.join("data_test.csv")).unwrap().lines().count(), 2001);
    let model: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("model.json")).unwrap()).unwrap();
    let kinds: Vec<&str> = model["layers"].as_array().unwrap().iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["conv", "max-pool", "conv", "max-pool", "dense", "dense"]);
    assert_eq!(model["layers"][4]["weights"][0].as_array().unwrap().len(), 1600, "5 x 5 x 64 values reach the dense layer");
}

#[test]
fn a_users_files_train_from_a_config_beside_them_and_repeat_exactly_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    write_subset(dir.path(), 300);
    // The preset, reading the files by paths relative to the config.
    let config = dir.path().join("mine.toml");
    let preset = emergence_lab::config::preset("mnist-cnn").unwrap().toml;
    let files = "train_fraction = 0.8\nimages = \"images-idx3-ubyte.gz\"\nlabels = \"labels-idx1-ubyte\"";
    std::fs::write(&config, preset.replace("train_fraction = 0.8", files)).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let outputs: Vec<PathBuf> = (0..2).map(|i| elsewhere.path().join(format!("run{i}"))).collect();
    for (out, threads) in outputs.iter().zip(["1", "3"]) {
        let output = Command::new(env!("CARGO_BIN_EXE_emergence-lab"))
            .current_dir(elsewhere.path())
            .env("EMERGENCE_LAB_THREADS", threads)
            .args([
                "run",
                "--config",
                config.to_str().unwrap(),
                "--steps",
                "12",
                "--set",
                "training.log_every=6",
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let written = std::fs::read_to_string(outputs[0].join("config.toml")).unwrap();
    assert!(written.contains(&dir.path().join("images-idx3-ubyte.gz").display().to_string()), "{written}");
    // The preset multiplies its convolutions in f32, so this is also the
    // test that an f32 run does not depend on the thread count.
    assert!(written.contains("precision = \"f32\""), "{written}");
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(outputs[0].join("summary.json")).unwrap()).unwrap();
    assert!(summary["kernels"]["convolution"].as_str().unwrap().contains("in f32"), "{}", summary["kernels"]);
    assert!(!summary["kernels"]["dense"].as_str().unwrap().contains("f32"), "the dense layers stay f64: {}", summary["kernels"]);
    let rows = |file: &str| std::fs::read_to_string(outputs[0].join(file)).unwrap().lines().count() - 1;
    assert_eq!(rows("data_train.csv") + rows("data_test.csv"), 300);
    assert!((55..=65).contains(&rows("data_test.csv")), "about a fifth of each digit tests");
    for file in ["model.json", "metrics.csv"] {
        assert_eq!(
            std::fs::read(outputs[0].join(file)).unwrap(),
            std::fs::read(outputs[1].join(file)).unwrap(),
            "{file}: the same seed gives the same bits, with 1 thread or 3"
        );
    }
}

#[test]
fn bad_idx_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = write_subset(dir.path(), 20);
    let set = shipped();
    let write = |name: &str, bytes: Vec<u8>| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let truncated = write("truncated.gz", gzip(&encode(&[20, 28, 28], &set.images.pixels[..19 * PIXELS])));
    let fewer_labels = write("fewer-labels", encode(&[19], &set.labels[..19]));
    let mut bad = set.labels[..20].to_vec();
    bad[7] = 11;
    let bad_label = write("bad-label", encode(&[20], &bad));
    let wide = write("wide-images", encode(&[2, 32, 32], &[0; 2 * 32 * 32]));
    let corrupt = write("corrupt.gz", gzip(&encode(&[20, 28, 28], &set.images.pixels[..20 * PIXELS]))[..500].to_vec());
    let path = |p: &PathBuf| p.to_str().unwrap().to_string();
    let cases = [
        (path(&labels), path(&images), vec!["labels-idx1-ubyte", "swapped"]),
        (path(&truncated), path(&labels), vec!["truncated.gz", "truncated"]),
        (path(&images), path(&fewer_labels), vec!["fewer-labels", "19 labels for the 20 images"]),
        (path(&images), path(&bad_label), vec!["bad-label", "label 8", "11"]),
        (path(&wide), path(&labels), vec!["wide-images", "32x32", "28x28"]),
        (path(&corrupt), path(&labels), vec!["corrupt.gz", "gzip"]),
        (dir.path().join("nowhere").display().to_string(), path(&labels), vec!["nowhere"]),
    ];
    let out = dir.path().join("never");
    for (images, labels, expected) in cases {
        let images_set = format!("data.images={images}");
        let labels_set = format!("data.labels={labels}");
        let output = run(&[
            "run",
            "--preset",
            "mnist-cnn",
            "--set",
            &images_set,
            "--set",
            &labels_set,
            "--steps",
            "1",
            "--out",
            out.to_str().unwrap(),
        ]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{images} / {labels}: {message}");
        for part in expected {
            assert!(message.contains(part), "{part:?} missing from: {message}");
        }
    }
    let lone = format!("data.images={}", images.display());
    let output = run(&["run", "--preset", "mnist-cnn", "--set", &lone, "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("needs data.labels"), "{}", stderr(&output));
    let output = run(&["run", "--preset", "digits-cnn", "--set", &lone, "--out", out.to_str().unwrap()]);
    assert!(stderr(&output).contains("only read when dataset = \"mnist\""), "{}", stderr(&output));
    assert!(!out.exists());
}

/// A small network of the MNIST network's kind on random images.
fn small_network(rng: &mut EngineRng) -> Network {
    let conv = |filters| ConvSpec { filters, kernel: 3, pad: 0, pool: true, activation: Activation::Relu };
    let spec = NetworkSpec {
        inputs: 14 * 14,
        image: Some((1, 14, 14)),
        conv: vec![conv(4), conv(6)],
        hidden: vec![(12, Activation::Relu)],
        outputs: 10,
        init: Init::XavierUniform,
        gain: 1.0,
        bias_init: 0.0,
        bias_std: 0.0,
        batch_norm: false,
        dropout: 0.0,
        leaky_slope: 0.01,
    };
    Network::new(&spec, rng)
}

#[test]
fn a_batch_split_between_threads_gives_the_whole_batchs_gradient() {
    let mut rng = EngineRng::seed_from_u64(9);
    let network = small_network(&mut rng);
    let rows = 7;
    let inputs: Vec<f64> = (0..rows * 14 * 14).map(|_| rng.random_range(0.0..1.0)).collect();
    let mut targets = vec![0.0; rows * 10];
    for row in targets.chunks_exact_mut(10) {
        row[rng.random_range(0..10)] = 1.0;
    }
    let mut whole = Workspace::new(&network, rows);
    whole.load_input(&inputs);
    network.forward(&mut whole, Mode::TrainFixedMasks);
    let (logits, grad) = whole.logits_and_grad();
    let loss = Loss::Ce.mean_and_grad(logits, &targets, rows, 10, grad);
    let mut expected = vec![0.0; network.params.len()];
    network.backward(&mut whole, &mut expected);
    assert!(expected.iter().any(|&g| g != 0.0));

    let train = |slice_rows: usize| {
        let mut batch = SlicedBatch::new(&network, rows, slice_rows);
        batch.load(rows, |first, out| out.copy_from_slice(&inputs[first * 196..first * 196 + out.len()]));
        let mut grads = vec![f64::NAN; network.params.len()];
        let loss = batch.train(&network, Loss::Ce, &targets, &mut grads);
        (loss, grads)
    };
    assert_eq!(train(rows), (loss, expected.clone()), "one slice is the whole batch, bit for bit");
    for slice_rows in [3, 2, 1] {
        let (sliced_loss, grads) = train(slice_rows);
        assert!((sliced_loss - loss).abs() <= 1e-14 * loss.abs(), "slices of {slice_rows}: loss {sliced_loss} vs {loss}");
        for (i, (a, b)) in grads.iter().zip(&expected).enumerate() {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1e-3), "slices of {slice_rows}: parameter {i}: {a} vs {b}");
        }
        assert_eq!(train(slice_rows), (sliced_loss, grads), "slices of {slice_rows}: the same bits every time");
    }
}
