//! The command line as a user meets it: `run` writes its files, reproduces
//! itself from the config it wrote, and every kind of bad input gives exit
//! code 2 and a message naming the file, the key and the value.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_emergence-lab"))
}

fn run(args: &[&str]) -> Output {
    binary().args(args).output().expect("the binary starts")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn out_dir(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    (dir, path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn run_writes_every_output() {
    let (_keep, out) = out_dir("run");
    let output = run(&["run", "--preset", "playground", "--steps", "200", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    for file in ["config.toml", "metrics.csv", "model.json", "data_train.csv", "data_test.csv", "summary.json", "theory.json"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }

    let metrics = read(&out.join("metrics.csv"));
    let mut lines = metrics.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let expected_start = [
        "step",
        "train_loss",
        "test_loss",
        "train_acc",
        "test_acc",
        "grad_norm_l1",
        "weight_norm_l1",
        "act_mean_l1",
        "act_std_l1",
        "dead_frac_l1",
        "sat_frac_l1",
        "grad_norm_l2",
        "weight_norm_l2",
        "act_mean_l2",
        "act_std_l2",
        "dead_frac_l2",
        "sat_frac_l2",
        "grad_norm_l3",
        "weight_norm_l3",
    ];
    assert_eq!(&header[..expected_start.len()], &expected_start);
    let steps: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(steps.first(), Some(&"0"));
    assert_eq!(steps.last(), Some(&"200"));

    let model: serde_json::Value = serde_json::from_str(&read(&out.join("model.json"))).unwrap();
    assert_eq!(model["inputs"], serde_json::json!(["x", "y"]));
    let layers = model["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    // weights are rows of outputs: [out][in].
    assert_eq!(layers[0]["weights"].as_array().unwrap().len(), 4);
    assert_eq!(layers[0]["weights"][0].as_array().unwrap().len(), 2);
    assert_eq!(layers[0]["activation"], "tanh");
    assert_eq!(layers[2]["bias"].as_array().unwrap().len(), 1);

    let summary: serde_json::Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    assert_eq!(summary["steps"], 200);
    assert!(summary["diverged"].is_null());
    assert!(summary["samples_per_second"].as_f64().unwrap() > 0.0);
    assert!(summary["final"]["test_acc"].as_f64().is_some());

    let train = read(&out.join("data_train.csv"));
    assert!(train.starts_with("x,y,label\n"));
    assert_eq!(train.lines().count() + read(&out.join("data_test.csv")).lines().count(), 500 + 2);
}

#[test]
fn a_written_config_reproduces_the_run_exactly() {
    let (_keep, first) = out_dir("first");
    let args = ["run", "--preset", "deep-spiral", "--set", "network.dropout=0.1", "--steps", "300", "--seed", "7"];
    let output = run(&[&args[..], &["--out", first.to_str().unwrap()]].concat());
    assert!(output.status.success(), "{}", stderr(&output));
    let (_keep2, second) = out_dir("second");
    let config = first.join("config.toml");
    let output = run(&["run", "--config", config.to_str().unwrap(), "--out", second.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(read(&first.join("metrics.csv")), read(&second.join("metrics.csv")));
    assert_eq!(read(&first.join("model.json")), read(&second.join("model.json")));
    assert!(read(&config).contains("seed = 7"));
}

/// `run --experiment` leaves the run itself, which goes on exactly as if it
/// had never stopped; without the flag there is no such file.
#[test]
fn run_with_experiment_writes_a_run_that_goes_on_bit_identically() {
    use emergence_lab::config::{ConfigSource, load_config};
    use emergence_lab::run::{Run, experiment};

    let (_keep, out) = out_dir("saved");
    let output = run(&["run", "--preset", "deep-spiral", "--steps", "137", "--experiment", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut resumed = experiment::load(&out.join("experiment.emlab")).expect("the saved experiment loads");
    assert_eq!(resumed.step_count(), 137);
    resumed.run(200);
    let mut straight = Run::new(load_config(&ConfigSource::Preset("deep-spiral".into()), &[]).unwrap()).unwrap();
    straight.run(337);
    let bits = |run: &Run| run.main().network().params.iter().map(|p| p.to_bits()).collect::<Vec<u64>>();
    assert_eq!(bits(&resumed), bits(&straight), "the resumed run drifted from the straight one");

    let (_keep2, plain) = out_dir("plain");
    let output = run(&["run", "--preset", "deep-spiral", "--steps", "5", "--out", plain.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!plain.join("experiment.emlab").exists());
}

#[test]
fn a_diverged_run_exits_zero_and_says_where() {
    let (_keep, out) = out_dir("boom");
    let output = run(&["run", "--preset", "exploding-gradients", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("diverged"), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    let diverged = &summary["diverged"];
    assert!(diverged["step"].as_u64().unwrap() >= 1);
    assert!(["loss", "activation", "gradient", "weight"].contains(&diverged["what"].as_str().unwrap()));
}

#[test]
fn presets_lists_every_preset_with_its_description() {
    let output = run(&["presets"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for preset in emergence_lab::config::PRESETS {
        let line = text.lines().find(|l| l.starts_with(preset.name)).unwrap_or_else(|| panic!("{} missing", preset.name));
        assert!(line.len() > preset.name.len() + 10, "{} has no description", preset.name);
    }
}

#[test]
fn bare_words_in_set_are_strings() {
    let (_keep, out) = out_dir("spiral");
    let output = run(&[
        "run",
        "--preset",
        "playground",
        "--set",
        "data.dataset=spiral",
        "--set",
        "network.hidden=[6, 6]",
        "--steps",
        "10",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let config = read(&out.join("config.toml"));
    assert!(config.contains("dataset = \"spiral\"") && config.contains("hidden = [6, 6]"), "{config}");
}

/// Runs with bad input and returns stderr, checking exit code 2 and that
/// nothing was written.
fn rejected(args: &[&str]) -> String {
    let (_keep, out) = out_dir("never");
    let output = run(&[args, &["--out", out.to_str().unwrap()]].concat());
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "expected exit 2 for {args:?}; stderr: {message}");
    assert!(!out.join("metrics.csv").exists());
    message
}

fn contains_all(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
}

#[test]
fn bad_config_values_name_the_key_value_and_range() {
    let m = rejected(&["run", "--preset", "playground", "--set", "network.hidden=[4, 300]"]);
    contains_all(&m, &["--set network.hidden=[4, 300]", "network.hidden[1] = 300", "1 to 256"]);
    let m = rejected(&["run", "--set", "data.noise=0.9"]);
    contains_all(&m, &["data.noise = 0.9", "0 to 0.5"]);
    let m = rejected(&["run", "--set", "training.learning_rate=-1"]);
    contains_all(&m, &["training.learning_rate = -1"]);
    let m = rejected(&["run", "--set", "network.dropout=1.0"]);
    contains_all(&m, &["network.dropout = 1", "0 to 0.9"]);
    let m = rejected(&["run", "--set", "network.activations=[\"relu\"]", "--set", "network.hidden=[3, 3]"]);
    contains_all(&m, &["network.activations", "one activation per hidden layer (2)"]);
    let m = rejected(&["run", "--set", "training.optimizer=adam", "--set", "training.weight_decay=0.01"]);
    contains_all(&m, &["training.weight_decay", "adamw"]);
    let m = rejected(&["run", "--set", "data.dataset=plane", "--set", "training.loss=bce"]);
    contains_all(&m, &["training.loss", "regression", "mse"]);
    let m = rejected(&["run", "--set", "data.dataset=multi-spiral", "--set", "training.loss=bce"]);
    contains_all(&m, &["bce", "ce"]);
    let m = rejected(&["run", "--set", "data.dataset=csv"]);
    contains_all(&m, &["data.csv", "(missing)"]);
}

#[test]
fn bad_types_unknown_keys_and_unknown_names_are_named() {
    let m = rejected(&["run", "--set", "network.hiden=[4]"]);
    contains_all(&m, &["hiden", "network"]);
    let m = rejected(&["run", "--set", "network.init=he_normal"]);
    contains_all(&m, &["network.init", "he_normal", "he-normal"]);
    let m = rejected(&["run", "--set", "training.learning_rate=fast"]);
    contains_all(&m, &["training.learning_rate", "fast"]);
    let m = rejected(&["run", "--set", "data.features=[\"x\", \"z\"]"]);
    contains_all(&m, &["data.features", "z"]);
    let m = rejected(&["run", "--set", "bogus=1"]);
    contains_all(&m, &["bogus"]);
    let m = rejected(&["run", "--set", "no-equals-sign"]);
    contains_all(&m, &["no-equals-sign", "KEY=VALUE"]);
    let m = rejected(&["run", "--preset", "no-such-preset"]);
    contains_all(&m, &["no-such-preset", "playground"]);
}

#[test]
fn bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    let m = rejected(&["run", "--config", missing.to_str().unwrap()]);
    contains_all(&m, &["missing.toml"]);

    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "seed = 1\n[network\nhidden = [4]\n").unwrap();
    let m = rejected(&["run", "--config", broken.to_str().unwrap()]);
    contains_all(&m, &["broken.toml", "line 2"]);

    let unknown = dir.path().join("unknown.toml");
    std::fs::write(&unknown, "seed = 1\n[training]\nlearning_rat = 0.1\n").unwrap();
    let m = rejected(&["run", "--config", unknown.to_str().unwrap()]);
    contains_all(&m, &["unknown.toml", "learning_rat"]);

    let points = dir.path().join("points.csv");
    std::fs::write(&points, "x,y,label\n1,2,0\n3,oops,1\n").unwrap();
    let csv_key = format!("data.csv={}", points.display());
    let m = rejected(&["run", "--set", "data.dataset=csv", "--set", &csv_key]);
    contains_all(&m, &["points.csv", "line 3", "oops"]);

    let absent = format!("data.csv={}", dir.path().join("absent.csv").display());
    let m = rejected(&["run", "--set", "data.dataset=csv", "--set", &absent]);
    contains_all(&m, &["absent.csv"]);
}

#[test]
fn user_csv_data_trains() {
    let dir = tempfile::tempdir().unwrap();
    let points = dir.path().join("blobs.csv");
    let mut text = String::from("x,y,label\n");
    for i in 0..200 {
        let t = i as f64 * 0.1;
        let (x, y) = if i % 2 == 0 { (2.0 + t.sin(), 2.0 + t.cos()) } else { (-2.0 + t.cos(), -2.0 + t.sin()) };
        text.push_str(&format!("{x},{y},{}\n", i % 2));
    }
    std::fs::write(&points, text).unwrap();
    let (_keep, out) = out_dir("csv");
    let csv_key = format!("data.csv={}", points.display());
    let output = run(&[
        "run",
        "--set",
        "data.dataset=csv",
        "--set",
        &csv_key,
        "--set",
        "training.loss=bce",
        "--steps",
        "300",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    assert!(summary["final"]["test_acc"].as_f64().unwrap() > 0.95);
}

#[test]
fn an_unwritable_output_directory_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let output = run(&["run", "--steps", "5", "--out", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    contains_all(&stderr(&output), &["a-file"]);
}

#[test]
fn lessons_are_listed_and_a_malformed_one_is_named() {
    let output = run(&["lessons"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("02-vanishing-gradients") && text.contains("Vanishing gradients"), "{text}");

    let dir = tempfile::tempdir().unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lessons/04-symmetry.toml");
    std::fs::copy(shipped, dir.path().join("04-symmetry.toml")).unwrap();
    std::fs::write(
        dir.path().join("99-mine.toml"),
        "title = \"Mine\"\nsummary = \"x\"\n[[steps]]\ntitle = \"a\"\npreset = \"nope\"\nwatch = \"w\"\nexpect = \"e\"\nwhy = \"y\"\n",
    )
    .unwrap();
    let output = run(&["lessons", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    contains_all(&stderr(&output), &["99-mine.toml", "nope"]);
    assert!(String::from_utf8(output.stdout).unwrap().contains("04-symmetry"), "the good lesson still loads");
}

#[test]
fn lessons_verify_prints_every_check_and_fails_on_a_missed_claim() {
    let dir = tempfile::tempdir().unwrap();
    let lesson = |checks: &str| {
        format!(
            "title = \"Mine\"\nsummary = \"x\"\n[[steps]]\ntitle = \"a\"\npreset = \"exploding-gradients\"\nwatch = \"w\"\nexpect = \"e\"\nwhy = \"y\"\nchecks = [{checks}]\n"
        )
    };
    std::fs::write(dir.path().join("01-true.toml"), lesson("\"diverges before step 10\", \"grad_norm(1) at step 0 > 0\"")).unwrap();
    let folder = dir.path().to_str().unwrap();
    let output = run(&["lessons", "--dir", folder, "--verify", "--seeds", "3"]);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    contains_all(&text, &["01-true", "3/3", "diverges before step 10", "grad_norm(1) at step 0 > 0", "seeds 1 to 3"]);

    std::fs::write(dir.path().join("02-false.toml"), lesson("\"does not diverge by step 20 on 2 of 3 seeds\"")).unwrap();
    let output = run(&["lessons", "--dir", folder, "--verify", "--seeds", "3", "--verbose", "02-false"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "a claim that fails its seeds: {text}");
    contains_all(&text, &["02-false", "0/3", "FAILS", "seed   2: FAIL  diverged at step"]);
    assert!(!text.contains("01-true"), "only the lesson asked for: {text}");

    std::fs::write(dir.path().join("03-broken.toml"), lesson("\"dead_frac(14) at step 0 > 0\"")).unwrap();
    let output = run(&["lessons", "--dir", folder]);
    assert_eq!(output.status.code(), Some(2));
    contains_all(&stderr(&output), &["03-broken.toml", "step 1 (a)", "dead_frac(14) at step 0 > 0", "13 such layers"]);
    let output = run(&["lessons", "--dir", folder, "--verify", "no-such-lesson"]);
    assert_eq!(output.status.code(), Some(2));
    contains_all(&stderr(&output), &["no-such-lesson", "01-true"]);
}

#[test]
fn endless_files_are_refused_not_read_forever() {
    let m = rejected(&["run", "--config", "/dev/zero"]);
    contains_all(&m, &["/dev/zero", "larger than"]);
    let m = rejected(&["run", "--set", "data.dataset=csv", "--set", "data.csv=/dev/zero"]);
    contains_all(&m, &["/dev/zero", "larger than"]);
}

/// The output directory is checked before training: a run of 100 million
/// steps into a directory that cannot be made ends at once.
#[test]
fn an_impossible_output_directory_is_found_before_training() {
    let output = run(&["run", "--steps", "100000000", "--out", "/proc/emergence-lab-cannot-be-here"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    contains_all(&stderr(&output), &["/proc/emergence-lab-cannot-be-here"]);
}

/// A second run into the same directory replaces every output of the
/// first, not only the files it writes itself, and says so.
#[test]
fn a_reused_output_directory_holds_one_run() {
    let (_keep, out) = out_dir("reused");
    let output = run(&["run", "--preset", "digits-mlp", "--steps", "20", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(out.join("confusion.csv").is_file());
    let output = run(&["run", "--preset", "regression", "--steps", "20", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    contains_all(&stderr(&output), &["replaced", "earlier run"]);
    assert!(!out.join("confusion.csv").exists(), "a regression run has no confusion matrix");
    assert!(read(&out.join("config.toml")).contains("gauss-mix"));
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "staging folders left behind");
}

#[test]
fn messages_name_what_the_user_typed() {
    let m = rejected(&["run", "--set", "foo.bar=1"]);
    contains_all(&m, &["--set foo.bar=1", "foo"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flat.toml");
    std::fs::write(&file, "training = 3\n").unwrap();
    let m = rejected(&["run", "--config", file.to_str().unwrap(), "--steps", "5"]);
    contains_all(&m, &["--steps 5", "flat.toml"]);
    assert!(!m.contains("--set"), "{m}");
    let m = rejected(&["run", "--seed", "9223372036854775808"]);
    contains_all(&m, &["--seed", "9223372036854775808"]);
    assert!(!m.contains("invalid type"), "{m}");
}

/// A relative data.csv in a config file is read from the file's folder,
/// and a run's config.toml replays from anywhere.
#[test]
fn a_config_files_relative_csv_is_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("x,y,label\n");
    for i in 0..100 {
        let v = (i as f64 / 10.0) - 5.0;
        text.push_str(&format!("{v},{},{}\n", -v / 2.0, i % 2));
    }
    std::fs::write(dir.path().join("mine.csv"), text).unwrap();
    std::fs::write(dir.path().join("setup.toml"), "[data]\ndataset = \"csv\"\ncsv = \"mine.csv\"\n[training]\nsteps = 10\n").unwrap();
    let (_keep, out) = out_dir("relative");
    let output = Command::new(env!("CARGO_BIN_EXE_emergence-lab"))
        .current_dir("/")
        .args(["run", "--config", dir.path().join("setup.toml").to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let (_keep2, again) = out_dir("again");
    let output = Command::new(env!("CARGO_BIN_EXE_emergence-lab"))
        .current_dir("/tmp")
        .args(["run", "--config", out.join("config.toml").to_str().unwrap(), "--out", again.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(read(&out.join("metrics.csv")), read(&again.join("metrics.csv")));
}

/// Keys the data set does not read are not written as if they were used.
#[test]
fn unused_data_keys_are_left_out_of_the_written_config() {
    let (_keep, out) = out_dir("digits");
    let output = run(&["run", "--preset", "digits-mlp", "--set", "data.samples=777", "--steps", "5", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let config = read(&out.join("config.toml"));
    for key in ["samples", "noise", "features"] {
        assert!(!config.contains(&format!("\n{key} =")), "{key} in\n{config}");
    }
}

fn explain(args: &[&str]) -> (Output, serde_json::Value) {
    let output = run(&[&["explain"], args].concat());
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e})"));
    (output, json)
}

fn numbers(value: &serde_json::Value) -> Vec<f64> {
    match value {
        serde_json::Value::Array(items) => items.iter().flat_map(numbers).collect(),
        number => vec![number.as_f64().expect("a number")],
    }
}

#[test]
fn explain_writes_the_stages_of_one_step_as_json() {
    let args = ["--preset", "playground", "--point", "4", "--steps", "30"];
    let (first, json) = explain(&args);
    assert_eq!((json["step"].as_u64(), json["point"].as_u64()), (Some(31), Some(4)));
    assert_eq!(json["input_names"], serde_json::json!(["x", "y"]));
    let layers = json["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    for (layer, (width, fan_in)) in layers.iter().zip([(4, 2), (2, 4), (1, 2)]) {
        for key in ["weights", "weight_gradients", "weight_updates"] {
            assert_eq!(layer[key].as_array().unwrap().len(), width, "{key}");
            assert_eq!(layer[key][0].as_array().unwrap().len(), fan_in, "{key}");
        }
        for key in ["bias", "pre_activations", "activations", "deltas", "bias_gradients", "bias_updates", "neurons"] {
            assert_eq!(layer[key].as_array().unwrap().len(), width, "{key}");
        }
    }
    assert!(layers[0]["neurons"][0]["formula"].as_str().unwrap().starts_with("tanh("));
    assert!(json["loss"]["formula"].as_str().unwrap().starts_with("L = 1/2 (y - t)^2 = "));
    assert_eq!(json["optimizer"]["rule"], "w = w - lr * g");
    let (second, _) = explain(&args);
    assert_eq!(first.stdout, second.stdout, "the same arguments give the same document");
}

#[test]
fn explained_new_weights_are_the_next_steps_weights() {
    // With batches of one and the point the next step takes, the weights
    // the explanation arrives at are those `run` has one step later.
    let (_keep, dir) = out_dir("explain");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("step.json");
    let batch = ["--set", "training.batch_size=1", "--set", "training.optimizer=adam", "--set", "training.learning_rate=0.01"];
    let output = run(&[&["explain", "--point", "next", "--steps", "40", "--out", file.to_str().unwrap()][..], &batch].concat());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "the document went to --out");
    let explained: serde_json::Value = serde_json::from_str(&read(&file)).unwrap();
    assert_eq!(explained["step"], 41);
    let out = dir.join("run");
    let output = run(&[&["run", "--steps", "41", "--out", out.to_str().unwrap()][..], &batch].concat());
    assert!(output.status.success(), "{}", stderr(&output));
    let model: serde_json::Value = serde_json::from_str(&read(&out.join("model.json"))).unwrap();
    for (layer, shown) in model["layers"].as_array().unwrap().iter().zip(explained["layers"].as_array().unwrap()) {
        let new_values = |updates: &serde_json::Value| -> Vec<f64> {
            let flat: Vec<&serde_json::Value> = updates
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|u| if let Some(row) = u.as_array() { row.iter().collect() } else { vec![u] })
                .collect();
            flat.iter().map(|u| u["new"].as_f64().unwrap()).collect()
        };
        assert_eq!(numbers(&layer["weights"]), new_values(&shown["weight_updates"]));
        assert_eq!(numbers(&layer["bias"]), new_values(&shown["bias_updates"]));
        assert_ne!(numbers(&layer["weights"]), numbers(&shown["weights"]), "the weights did change");
    }
}

#[test]
fn explain_refuses_what_it_cannot_show_naming_it() {
    let refused = |args: &[&str]| {
        let output = run(&[&["explain"], args].concat());
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(output.stdout.is_empty());
        stderr(&output)
    };
    contains_all(&refused(&["--point", "250"]), &["--point 250", "250 points", "0 to 249"]);
    contains_all(&refused(&["--point", "abc"]), &["abc"]);
    contains_all(&refused(&["--point", "1", "--set", "network.hidden=[16]"]), &["network.hidden[0] = 16", "at most 8"]);
    contains_all(&refused(&["--point", "1", "--set", "network.hidden=[2, 2, 2, 2, 2]"]), &["network.hidden has 5 layers", "at most 4"]);
    contains_all(&refused(&["--point", "1", "--set", "network.batch_norm=true"]), &["network.batch_norm", "batch normalisation"]);
    contains_all(&refused(&["--point", "1", "--set", "network.dropout=0.1"]), &["network.dropout = 0.1"]);
    contains_all(&refused(&["--point", "1", "--preset", "digits-mlp", "--set", "network.hidden=[8]"]), &["64 inputs", "digits"]);
    contains_all(&refused(&["--point", "1", "--steps", "200000000"]), &["200000000"]);
    let diverging = ["--set", "network.activation=linear", "--set", "network.hidden=[8, 8, 8]", "--set", "network.gain=3.0"];
    let message = refused(&[&["--point", "1", "--steps", "200", "--set", "training.learning_rate=5.0"][..], &diverging].concat());
    contains_all(&message, &["the run has stopped", "non-finite"]);
    let (_keep, dir) = out_dir("missing");
    let file = dir.join("no").join("such").join("step.json");
    contains_all(&refused(&["--point", "1", "--out", file.to_str().unwrap()]), &["step.json"]);
}

/// theory.json holds the mean-field prediction of the run's own network,
/// and says so where the theory does not apply instead of giving numbers.
#[test]
fn theory_json_predicts_the_runs_initialisation_or_says_why_not() {
    let (_keep, out) = out_dir("theory");
    let output = run(&[
        "run",
        "--preset",
        "digits-mlp",
        "--set",
        "network.activation=tanh",
        "--set",
        "network.init=lecun-normal",
        "--set",
        "network.gain=sqrt(3)",
        "--set",
        "network.bias_std=sqrt(0.05)",
        "--set",
        "network.hidden=[64]*3",
        "--steps",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let theory: serde_json::Value = serde_json::from_str(&read(&out.join("theory.json"))).unwrap();
    assert_eq!(theory["applies"], true, "{theory}");
    // Schoenholz et al.: tanh at sigma_b^2 = 0.05 is chaotic at sigma_w^2 = 3.
    assert_eq!(theory["phase"], "chaotic");
    assert!((theory["bias_variance"].as_f64().unwrap() - 0.05).abs() < 1e-12, "{theory}");
    assert!((theory["sigma_w2"].as_f64().unwrap() - 3.0).abs() < 1e-12, "{theory}");
    assert!(theory["chi1"].as_f64().unwrap() > 1.0 && theory["xi_c"].as_f64().unwrap() > 1.0, "{theory}");
    let layers = theory["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    for layer in layers {
        for key in ["q", "act_std", "grad_ratio_to_output"] {
            assert!(layer[key].as_f64().unwrap() > 0.0, "{key} in {layer}");
        }
    }
    let model: serde_json::Value = serde_json::from_str(&read(&out.join("model.json"))).unwrap();
    let biases: Vec<f64> = model["layers"][0]["bias"].as_array().unwrap().iter().map(|b| b.as_f64().unwrap()).collect();
    assert!(biases.iter().any(|&b| b != 0.0), "bias_std draws the biases");

    let (_keep2, norm) = out_dir("batch-norm");
    let output = run(&["run", "--preset", "batch-norm-rescue", "--steps", "0", "--out", norm.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let theory: serde_json::Value = serde_json::from_str(&read(&norm.join("theory.json"))).unwrap();
    assert_eq!(theory["applies"], false);
    assert!(theory["reason"].as_str().unwrap().contains("batch normalisation"), "{theory}");
    assert!(theory["phase"].is_null() && theory["layers"].as_array().unwrap().is_empty(), "{theory}");
}

#[test]
fn skip_leaves_out_the_model_and_the_data_and_names_a_bad_value() {
    let (_keep, out) = out_dir("lean");
    let output = run(&["run", "--preset", "digits-mlp", "--steps", "10", "--skip", "model,data", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    for file in ["model.json", "data_train.csv", "data_test.csv"] {
        assert!(!out.join(file).exists(), "{file} written");
    }
    for file in ["config.toml", "metrics.csv", "summary.json", "theory.json", "confusion.csv"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let m = rejected(&["run", "--skip", "weights"]);
    contains_all(&m, &["weights", "model, data"]);
}

#[test]
fn set_repeats_a_list_for_deep_networks() {
    let (_keep, out) = out_dir("deep");
    let output = run(&["run", "--set", "network.hidden=[3]*5", "--steps", "1", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(read(&out.join("config.toml")).contains("hidden = [3, 3, 3, 3, 3]"));
    let m = rejected(&["run", "--set", "network.hidden=[3]*(2,4)"]);
    contains_all(&m, &["--set network.hidden=[3]*(2,4)", "one"]);
}
