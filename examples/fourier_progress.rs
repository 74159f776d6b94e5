//! Fourier progress measures of a network learning modular addition, at
//! every probe of a run (see `emergence_lab::analysis::fourier`).
//!
//! ```text
//! cargo run --release --no-default-features --example fourier_progress -- \
//!     [--preset grokking] [--seed N] [--set KEY=VALUE]...
//! ```
//!
//! Prints one CSV row per probe, then `#` lines: the key frequencies of the
//! final network and the first steps at which the median share passed 0.3
//! and 0.5 and test accuracy passed 50%. The restricted and excluded losses
//! use key frequencies of the final network at every step, as Nanda et al.
//! did: those covering 90% of the final logits' power along waves of a + b
//! (`key`), the five strongest of them (`top5`), and all frequencies
//! (`all`).

use clap::Parser;

use emergence_lab::analysis::fourier::{
    FourierProgress, KEY_COVERAGE, STRONGEST_COUNT, fourier_progress, frequency_ablation, key_frequencies, logit_spectrum,
};
use emergence_lab::config::{ConfigSource, load_config};
use emergence_lab::data::InputPlane;
use emergence_lab::nn::Network;
use emergence_lab::train::Trainer;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "grokking")]
    preset: String,
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
}

struct Probe {
    step: u64,
    train_acc: f64,
    test_acc: f64,
    test_loss: f64,
    network: Network,
}

fn main() {
    let args = Args::parse();
    let mut overrides = args.overrides.clone();
    if let Some(seed) = args.seed {
        overrides.push(format!("seed={seed}"));
    }
    let config = load_config(&ConfigSource::Preset(args.preset.clone()), &overrides).unwrap_or_else(|e| panic!("{e}"));
    let (steps, every) = (config.training.steps, config.training.log_every);
    let mut trainer = Trainer::new(config).unwrap_or_else(|e| panic!("{e}"));
    let InputPlane::Pairs { modulus } = trainer.data().plane else { panic!("not modular addition") };
    let mut probes = Vec::new();
    let mut keep = |trainer: &Trainer| {
        let latest = trainer.latest();
        probes.push(Probe {
            step: latest.step,
            train_acc: latest.train_acc.unwrap_or(f64::NAN),
            test_acc: latest.test_acc.unwrap_or(f64::NAN),
            test_loss: latest.test_loss,
            network: trainer.network().clone(),
        });
    };
    keep(&trainer);
    while trainer.step_count() < steps && trainer.run(every.min(steps - trainer.step_count())) > 0 {
        if trainer.latest().step != trainer.step_count() {
            trainer.record_probe();
        }
        keep(&trainer);
    }
    let last = &probes.last().expect("the untrained network is probed").network;
    let final_logits = logit_spectrum(last, modulus).expect("a network on pairs");
    let key = key_frequencies(&final_logits.sum_power, KEY_COVERAGE);
    let top: Vec<usize> = key.iter().copied().take(STRONGEST_COUNT).collect();
    let all: Vec<usize> = (1..=modulus / 2).collect();
    println!(
        "step,train_acc,test_acc,test_loss,median_share,q1_share,q3_share,power_weighted_share,top5_share,freqs_for_90,distinct,concentrated,\
         distinct_concentrated,output_median_share,matching,logit_sum_share,train_loss,restricted_key,excluded_key,restricted_top5,\
         excluded_top5,restricted_all,excluded_all"
    );
    let mut progress_rows: Vec<(u64, f64, FourierProgress)> = Vec::new();
    for probe in &probes {
        let progress = fourier_progress(&probe.network, modulus).expect("one hidden layer on pairs");
        let logits = logit_spectrum(&probe.network, modulus).expect("a network on pairs");
        let ablate = |keys: &[usize]| frequency_ablation(&probe.network, trainer.data(), keys).expect("cross-entropy on pairs");
        let (k, t, a) = (ablate(&key), ablate(&top), ablate(&all));
        let output = progress.output.as_ref();
        println!(
            "{},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{},{},{},{},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4}",
            probe.step,
            probe.train_acc,
            probe.test_acc,
            probe.test_loss,
            progress.median_share,
            progress.share_quartiles[0],
            progress.share_quartiles[2],
            progress.power_weighted_share,
            progress.strongest_share,
            progress.key_frequency_count,
            progress.distinct_frequencies,
            progress.concentrated_neurons,
            progress.distinct_concentrated_frequencies,
            output.map_or(f64::NAN, |o| o.median_share),
            output.map_or(f64::NAN, |o| o.matching_frequency),
            logits.sum_share(),
            k.loss,
            k.restricted_loss,
            k.excluded_loss,
            t.restricted_loss,
            t.excluded_loss,
            a.restricted_loss,
            a.excluded_loss,
        );
        progress_rows.push((probe.step, probe.test_acc, progress));
    }
    let first = |pass: &dyn Fn(&(u64, f64, FourierProgress)) -> bool| {
        progress_rows.iter().find(|row| pass(row)).map_or("never".to_string(), |row| row.0.to_string())
    };
    let final_progress = &progress_rows.last().expect("probed").2;
    println!("# key frequencies (90% of the final logits' a+b power): {} of {}: {key:?}", key.len(), modulus / 2);
    println!("# strongest neuron frequencies at the end: {:?}", final_progress.strongest_frequencies);
    println!("# neurons by frequency at the end: {:?}", final_progress.neurons_by_frequency);
    println!(
        "# median share > 0.3 at {}, > 0.5 at {}; test accuracy > 50% at {}; final median share {:.3}, top-5 share {:.3}",
        first(&|(_, _, p)| p.median_share > 0.3),
        first(&|(_, _, p)| p.median_share > 0.5),
        first(&|(_, acc, _)| *acc > 0.5),
        final_progress.median_share,
        final_progress.strongest_share,
    );
}
