//! Sweeps as a user meets them: a plan's job lines run by a shell and
//! collected give exactly the numbers of a sweep run in one go, whatever
//! the number of threads; a bad grid is refused with exit code 2 before
//! anything runs, naming what was typed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_emergence-lab"))
}

fn run(args: &[&str]) -> Output {
    Command::new(binary()).args(args).output().expect("the binary starts")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A small grid with the theory's axes: gain across, depth up.
const GRID: &[&str] = &[
    "--preset",
    "playground",
    "--set",
    "network.init=lecun-normal",
    "--set",
    "network.bias_std=0.2",
    "--grid",
    "network.gain=0.8,sqrt(2.5)",
    "--grid",
    "network.hidden=[4]*(1,3)",
    "--seeds",
    "2",
    "--steps",
    "60",
];

fn sweep(extra: &[&str]) -> Output {
    run(&[&["sweep"], GRID, extra].concat())
}

/// Runs every line of `jobs.txt` with a shell, as GNU parallel or a
/// Slurm array would, with the binary on the PATH.
fn run_job_lines(dir: &Path) {
    let jobs = read(&dir.join("jobs.txt"));
    let bin_dir = binary().parent().unwrap().to_path_buf();
    let path =
        std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()))).unwrap();
    for line in jobs.lines() {
        assert!(line.starts_with("emergence-lab run --config "), "{line}");
        let output = Command::new("sh").arg("-c").arg(line).env("PATH", &path).output().unwrap();
        assert!(output.status.success(), "{line}: {}", stderr(&output));
    }
}

#[test]
fn a_planned_sweep_collected_equals_a_direct_sweep() {
    let root = tempfile::tempdir().unwrap();
    let (direct, planned) = (root.path().join("direct"), root.path().join("planned"));

    let output = sweep(&["--out", direct.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));

    let output = sweep(&["--plan", planned.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("jobs.txt"), "{}", stderr(&output));
    assert!(!planned.join("summary.csv").exists(), "a plan runs nothing");
    let jobs = read(&planned.join("jobs.txt"));
    assert_eq!(jobs.lines().count(), 2 * 2 * 2, "{jobs}");
    run_job_lines(&planned);
    let output = run(&["sweep", "collect", planned.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));

    for file in ["summary.csv", "cells.csv"] {
        assert_eq!(read(&direct.join(file)), read(&planned.join(file)), "{file} differs");
    }
    assert_eq!(std::fs::read(direct.join("heatmap.png")).unwrap(), std::fs::read(planned.join("heatmap.png")).unwrap());

    // One row per cell and seed, with the grid's values, numbers in range
    // and the theory of each cell.
    let summary = read(&direct.join("summary.csv"));
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    for column in ["cell", "network.gain", "network.hidden", "seed", "hidden_layers", "train_acc", "test_acc", "steps_to_target", "xi_c"] {
        assert!(header.contains(&column), "{column} missing from {header:?}");
    }
    let rows: Vec<Vec<String>> = lines.map(|l| l.split(',').map(String::from).collect()).collect();
    assert_eq!(rows.len(), 8);
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let seeds: Vec<&str> = rows.iter().map(|r| r[column("seed")].as_str()).collect();
    assert_eq!(seeds[..2], ["1", "2"]);
    for row in &rows {
        let accuracy: f64 = row[column("test_acc")].parse().unwrap();
        assert!((0.0..=1.0).contains(&accuracy), "{row:?}");
        assert_eq!(row[column("steps")], "60");
        let depth: usize = row[column("hidden_layers")].parse().unwrap();
        assert_eq!(row[column("network.hidden")], format!("[4]*{depth}"));
        let sigma_w2: f64 = row[column("sigma_w2")].parse().unwrap();
        let gain: f64 = row[column("network.gain")].parse().unwrap();
        assert!((sigma_w2 - gain * gain).abs() < 1e-9, "lecun-normal: sigma_w2 = gain^2 ({row:?})");
    }
    let cells = read(&direct.join("cells.csv"));
    assert_eq!(cells.lines().count(), 1 + 4);
    assert!(cells.lines().nth(1).unwrap().starts_with("0-gain=0.8-hidden=4x1,0.8,[4]*1,2,0,"), "{cells}");

    let picture = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(direct.join("heatmap.png")).unwrap()));
    let info = picture.read_info().unwrap().info().clone();
    assert_eq!((info.width, info.height), (1000, 720));
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let root = tempfile::tempdir().unwrap();
    let (one, three) = (root.path().join("one"), root.path().join("three"));
    let output = sweep(&["--jobs", "1", "--out", one.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = sweep(&["--jobs", "3", "--out", three.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(read(&one.join("summary.csv")), read(&three.join("summary.csv")));
    let plan: serde_json::Value = serde_json::from_str(&read(&one.join("plan.json"))).unwrap();
    for cell in plan["cells"].as_array().unwrap() {
        for seed in [1, 2] {
            let run = PathBuf::from("cells").join(cell["name"].as_str().unwrap()).join(format!("seed-{seed}")).join("out");
            for file in ["metrics.csv", "theory.json"] {
                assert_eq!(read(&one.join(&run).join(file)), read(&three.join(&run).join(file)), "{}", run.display());
            }
            assert!(!one.join(&run).join("model.json").exists(), "sweeps leave the model out");
        }
    }
}

/// Runs a sweep that must be refused: exit code 2, a message, and no
/// directory made.
fn refused(args: &[&str]) -> String {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("never");
    let output = run(&[&["sweep", "--preset", "playground", "--steps", "5"], args, &["--out", out.to_str().unwrap()]].concat());
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "expected exit 2 for {args:?}; stderr: {message}");
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
    message
}

fn contains_all(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
}

#[test]
fn bad_grids_exit_2_naming_what_was_typed() {
    let m = refused(&["--grid", "network.gian=1,2"]);
    contains_all(&m, &["--grid network.gian=1", "gian"]);
    let m = refused(&["--grid", "network.gain=1,fast"]);
    contains_all(&m, &["--grid network.gain=fast", "network.gain", "fast"]);
    let m = refused(&["--grid", "network.dropout=0.1,2"]);
    contains_all(&m, &["--grid network.dropout=2", "network.dropout = 2", "0 to 0.9"]);
    let m = refused(&["--grid", "network.gain="]);
    contains_all(&m, &["--grid network.gain=", "no values"]);
    let m = refused(&["--grid", "network.gain=1,,2"]);
    contains_all(&m, &["--grid network.gain=1,,2", "empty"]);
    let m = refused(&["--grid", "network.gain"]);
    contains_all(&m, &["--grid network.gain", "KEY=VALUES"]);
    let m = refused(&["--grid", "network.hidden=[8]*x"]);
    contains_all(&m, &["--grid network.hidden=[8]*x", "whole number"]);
    let m = refused(&["--grid", "network.hidden=[8]*(2,100)"]);
    contains_all(&m, &["--grid network.hidden=[8]*100", "at most 64 hidden layers"]);
    let m = refused(&["--grid", "network.gain=linspace(1, 2)"]);
    contains_all(&m, &["linspace"]);
    let m = refused(&["--grid", "network.gain=1,2", "--grid", "network.gain=3"]);
    contains_all(&m, &["--grid network.gain=3", "already"]);
    let m = refused(&["--grid", "network.gain=1.5,0.5,1.5"]);
    contains_all(&m, &["twice"]);
    let m = refused(&["--grid", "network.gain=1,2", "--seeds", "0"]);
    contains_all(&m, &["--seeds 0"]);
    let m = refused(&["--grid", "network.gain=1,2", "--set", "data.dataset=plane", "--metric", "test_acc"]);
    contains_all(&m, &["--metric test_acc", "regression"]);
    let m = refused(&["--grid", "network.gain=1,2", "--metric", "accuracy"]);
    contains_all(&m, &["accuracy", "test_acc"]);
}

#[test]
fn collect_names_the_runs_not_yet_run_and_a_used_directory_is_kept() {
    let root = tempfile::tempdir().unwrap();
    let planned = root.path().join("planned");
    let output = sweep(&["--plan", planned.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run(&["sweep", "collect", planned.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    contains_all(&stderr(&output), &["8 of 8 runs", "seed-1", "not run yet", "--allow-missing"]);

    // Run the first line only: the rest are left out on request.
    let first = read(&planned.join("jobs.txt")).lines().next().unwrap().to_string();
    let args: Vec<&str> = first.split(' ').skip(1).collect();
    let output = run(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run(&["sweep", "collect", planned.to_str().unwrap(), "--allow-missing", "--metric", "train_loss"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(read(&planned.join("summary.csv")).lines().count(), 2);

    // Another grid in the same directory is refused; the same one again
    // is not.
    let output = run(&["sweep", "--preset", "playground", "--grid", "network.gain=1,2", "--plan", planned.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    contains_all(&stderr(&output), &["another sweep"]);
    let output = sweep(&["--plan", planned.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stranger = root.path().join("stranger");
    std::fs::create_dir(&stranger).unwrap();
    std::fs::write(stranger.join("notes.txt"), "mine").unwrap();
    let output = sweep(&["--plan", stranger.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    contains_all(&stderr(&output), &["not empty"]);
}

#[test]
fn a_stale_output_is_not_collected_as_the_planned_run() {
    let root = tempfile::tempdir().unwrap();
    let planned = root.path().join("planned");
    let output = sweep(&["--plan", planned.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    run_job_lines(&planned);
    // Someone edits one planned config after its run.
    let config = planned.join("cells/0-gain=0.8-hidden=4x1/seed-1/config.toml");
    let text = read(&config).replace("steps = 60", "steps = 61");
    std::fs::write(&config, text).unwrap();
    let output = run(&["sweep", "collect", planned.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    contains_all(&stderr(&output), &["1 of 8 runs", "seed-1", "older run"]);
}
