//! The same seed gives the same bits natively and in wasm: the command line
//! built for wasm32-wasip1 and run under Node's WASI writes byte-identical
//! metrics.csv and model.json to the native build, for point sets, pairs
//! and digits with every kind of layer but convolutions (whose products go
//! through a CPU-specific kernel, and whose runs say so in summary.json).
//!
//! Needs the wasm build (`.ci/run` makes it) named by EMERGENCE_LAB_WASI_CLI
//! and `node`; skipped without them unless EMERGENCE_LAB_REQUIRE_WASI_TEST
//! is set (as CI sets it).

use std::path::{Path, PathBuf};
use std::process::Command;

fn wasm_cli() -> Option<PathBuf> {
    let path = std::env::var_os("EMERGENCE_LAB_WASI_CLI").map(PathBuf::from).filter(|p| p.is_file());
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    match (path, node) {
        (Some(path), true) => Some(path),
        _ => {
            assert!(
                std::env::var_os("EMERGENCE_LAB_REQUIRE_WASI_TEST").is_none(),
                "EMERGENCE_LAB_WASI_CLI must name the wasm32-wasip1 build and node must be installed (.ci/run does both)"
            );
            eprintln!("skipped: set EMERGENCE_LAB_WASI_CLI to the wasm32-wasip1 build of the CLI (see .ci/run)");
            None
        }
    }
}

fn run_native(args: &[&str], out: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_emergence-lab")).args(args).arg("--out").arg(out).output().unwrap();
    assert!(output.status.success(), "native {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

fn run_wasm(wasm: &Path, args: &[&str], out: &Path) {
    let runner = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/wasi-run.mjs");
    let output = Command::new("node").arg(runner).arg(wasm).args(args).arg("--out").arg(out).output().unwrap();
    assert!(output.status.success(), "wasm {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn native_and_wasm_runs_are_bit_identical() {
    let Some(wasm) = wasm_cli() else { return };
    let cases: &[&[&str]] = &[
        &["--preset", "playground", "--steps", "400"],
        &["--preset", "multi-spiral", "--steps", "300"],
        &["--preset", "deep-spiral", "--steps", "300", "--set", "network.dropout=0.1"],
        &[
            "--preset",
            "xor",
            "--steps",
            "300",
            "--set",
            "data.features=[\"x\",\"y\",\"sin-x\",\"cos-y\",\"xy\"]",
            "--set",
            "data.noise=0.2",
        ],
        &["--preset", "regression", "--steps", "300", "--set", "network.activation=gelu"],
        &["--preset", "batch-norm-rescue", "--steps", "200"],
        &["--preset", "grokking", "--steps", "60", "--set", "data.modulus=31"],
        &["--preset", "digits-mlp", "--steps", "150", "--set", "data.augment=true"],
        &["--preset", "homogenisation", "--steps", "100", "--set", "network.activation=elu"],
        &["--preset", "exploding-gradients", "--steps", "100"],
        &[
            "--preset",
            "playground",
            "--steps",
            "200",
            "--set",
            "network.init=orthogonal",
            "--set",
            "network.activation=sin",
            "--set",
            "training.optimizer=rmsprop",
        ],
    ];
    let dir = tempfile::tempdir().unwrap();
    for (index, case) in cases.iter().enumerate() {
        let args = [&["run"][..], case].concat();
        let (native, web) = (dir.path().join(format!("native-{index}")), dir.path().join(format!("wasm-{index}")));
        run_native(&args, &native);
        run_wasm(&wasm, &args, &web);
        for file in ["metrics.csv", "model.json", "data_train.csv", "emergence.json"] {
            assert!(read(&native.join(file)) == read(&web.join(file)), "{case:?}: {file} differs between native and wasm");
        }
        if native.join("homogenisation.csv").exists() {
            assert!(read(&native.join("homogenisation.csv")) == read(&web.join("homogenisation.csv")), "{case:?}: homogenisation.csv");
        }
        let summary: serde_json::Value = serde_json::from_slice(&read(&native.join("summary.json"))).unwrap();
        assert_eq!(summary["kernels"]["portable"], true, "{case:?}");
    }
    // A convolutional run says it is not portable, and why.
    let cnn = dir.path().join("cnn");
    run_native(&["run", "--preset", "digits-cnn", "--steps", "5"], &cnn);
    let summary: serde_json::Value = serde_json::from_slice(&read(&cnn.join("summary.json"))).unwrap();
    assert_eq!(summary["kernels"]["portable"], false);
    assert!(summary["kernels"]["convolution"].as_str().unwrap().contains("matrixmultiply"));
}
