//! The files a run writes: the resolved config, the metrics history as CSV,
//! the model as JSON, the data, and a summary. The app's exports use the
//! same writers, so a file means the same thing wherever it came from.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::analysis::fourier::FourierRecord;
use crate::data::{Dataset, InputPlane, Inputs, Split};
use crate::nn::TaskKind;
use crate::nn::{Inference, InputRows, LayerKind, Network};
use crate::run::Run;
use crate::train::{Divergence, History, ProbeRecord, Trainer};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("the output directory {} is a file", path.display())]
    NotADirectory { path: PathBuf },
}

fn write_error(path: &Path, source: std::io::Error) -> WriteError {
    WriteError::Io { path: path.to_path_buf(), source }
}

fn csv_error(path: &Path, source: csv::Error) -> WriteError {
    WriteError::Csv { path: path.to_path_buf(), source }
}

/// Every file a run may write, so a new run into the same directory
/// replaces all of an earlier run's outputs, not just the ones it writes
/// too (a regression run beside an old `confusion.csv` would mislead).
pub const RUN_FILES: &[&str] = &[
    "config.toml",
    "metrics.csv",
    "model.json",
    "data_train.csv",
    "data_test.csv",
    "summary.json",
    "emergence.json",
    "confusion.csv",
    "homogenisation.json",
    "homogenisation.csv",
    "theory.json",
    "fourier.csv",
];

/// Outputs a run can leave out: the bulky ones a sweep of many deep
/// networks does not need (model.json of a 50-layer network is megabytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skippable {
    /// `model.json`.
    Model,
    /// `data_train.csv` and `data_test.csv`.
    Data,
}

impl Skippable {
    pub const ALL: [Skippable; 2] = [Self::Model, Self::Data];

    pub fn name(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Data => "data",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A run's output directory, written in two stages: every file goes to a
/// fresh folder beside it while the run goes on, and moves into place only
/// when all are written. A run that fails leaves the directory as it was;
/// an unwritable directory is found before any training.
#[derive(Debug)]
pub struct RunOutput {
    target: PathBuf,
    staging: PathBuf,
    finished: bool,
}

impl RunOutput {
    pub fn prepare(target: &Path) -> Result<Self, WriteError> {
        if target.exists() && !target.is_dir() {
            return Err(WriteError::NotADirectory { path: target.to_path_buf() });
        }
        let parent = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| write_error(&parent, e))?;
        let name = target.file_name().map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
        let mut attempt = 0;
        loop {
            let staging = parent.join(format!(".{name}.partial-{}-{attempt}", unique_number()));
            match fs::create_dir(&staging) {
                Ok(()) => return Ok(Self { target: target.to_path_buf(), staging, finished: false }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
                Err(e) => return Err(write_error(target, e)),
            }
        }
    }

    /// Where to write `name` now (in the staging folder).
    pub fn file(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves the run's files into the target directory, first removing
    /// every file an earlier run left there; returns how many it removed.
    pub fn finish(mut self) -> Result<usize, WriteError> {
        fs::create_dir_all(&self.target).map_err(|e| write_error(&self.target, e))?;
        let mut replaced = 0;
        for name in RUN_FILES {
            let old = self.target.join(name);
            if old.is_file() {
                fs::remove_file(&old).map_err(|e| write_error(&old, e))?;
                replaced += 1;
            }
        }
        let entries = fs::read_dir(&self.staging).map_err(|e| write_error(&self.staging, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| write_error(&self.staging, e))?;
            let destination = self.target.join(entry.file_name());
            fs::rename(entry.path(), &destination).map_err(|e| write_error(&destination, e))?;
        }
        fs::remove_dir(&self.staging).map_err(|e| write_error(&self.staging, e))?;
        self.finished = true;
        Ok(replaced)
    }
}

/// A number that differs between runs started at the same time: the
/// process id where there is one (WASI has none), else the clock.
fn unique_number() -> u64 {
    #[cfg(not(target_os = "wasi"))]
    let number = u64::from(std::process::id());
    #[cfg(target_os = "wasi")]
    let number = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    number
}

impl Drop for RunOutput {
    fn drop(&mut self) {
        if !self.finished {
            // A failed or interrupted run: leave nothing half-written behind.
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// The header of `metrics.csv` for a network with `layers` weight layers
/// (the last one the output layer).
pub fn metrics_header(layers: usize) -> Vec<String> {
    let mut header: Vec<String> = ["step", "train_loss", "test_loss", "train_acc", "test_acc"].map(String::from).to_vec();
    for k in 1..=layers {
        header.push(format!("grad_norm_l{k}"));
        header.push(format!("weight_norm_l{k}"));
        if k < layers {
            for name in ["act_mean", "act_std", "dead_frac", "sat_frac"] {
                header.push(format!("{name}_l{k}"));
            }
        }
    }
    // Beyond the documented columns, appended so they never shift them.
    for k in 1..=layers {
        header.push(format!("update_ratio_l{k}"));
    }
    header
}

/// metrics.csv, written a row at a time as the probes come, so a long run
/// keeps every row on disk while its history in memory is thinned.
pub struct MetricsWriter<W: Write> {
    writer: csv::Writer<W>,
    layers: usize,
}

impl<W: Write> MetricsWriter<W> {
    pub fn new(out: W, layers: usize) -> csv::Result<Self> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(metrics_header(layers))?;
        Ok(Self { writer, layers })
    }

    pub fn write(&mut self, records: &[ProbeRecord]) -> csv::Result<()> {
        let number = |v: f64| v.to_string();
        let optional = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        for record in records {
            let mut row = vec![
                record.step.to_string(),
                number(record.train_loss),
                number(record.test_loss),
                optional(record.train_acc),
                optional(record.test_acc),
            ];
            for (k, stats) in record.layers.iter().enumerate() {
                row.push(number(stats.grad_norm));
                row.push(number(stats.weight_norm));
                if k + 1 < self.layers {
                    for value in [stats.act_mean, stats.act_std, stats.dead_frac, stats.sat_frac] {
                        row.push(number(value));
                    }
                }
            }
            for stats in &record.layers {
                row.push(number(stats.update_ratio));
            }
            self.writer.write_record(&row)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> csv::Result<()> {
        self.writer.flush()?;
        Ok(())
    }
}

/// Writes the history as CSV: one row per probe, step 0 first. Accuracy
/// is empty for regression.
pub fn write_metrics_csv<W: Write>(history: &History, layers: usize, out: W) -> csv::Result<()> {
    let mut writer = MetricsWriter::new(out, layers)?;
    writer.write(history.records())?;
    writer.finish()
}

#[derive(Debug, Serialize)]
struct ModelLayer {
    /// "dense", "conv" or "max-pool".
    kind: &'static str,
    /// Rows of outputs: `weights[out][in]`; for a convolution one row per
    /// filter, `in_channels x kernel x kernel` row-major.
    weights: Vec<Vec<f64>>,
    bias: Vec<f64>,
    activation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    batch_norm: Option<ModelBatchNorm>,
    #[serde(skip_serializing_if = "is_zero")]
    dropout: f64,
    /// Convolution and pooling geometry.
    #[serde(skip_serializing_if = "Option::is_none")]
    conv: Option<crate::nn::conv::ConvGeometry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pool: Option<crate::nn::conv::PoolGeometry>,
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

#[derive(Debug, Serialize)]
struct ModelBatchNorm {
    scale: Vec<f64>,
    shift: Vec<f64>,
    running_mean: Vec<f64>,
    running_var: Vec<f64>,
    epsilon: f64,
}

#[derive(Debug, Serialize)]
struct Model {
    format: &'static str,
    inputs: Vec<String>,
    /// The loss the network was trained with; the last layer's activation
    /// is the loss's link (linear, sigmoid or softmax).
    loss: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    classes: Option<usize>,
    leaky_slope: f64,
    layers: Vec<ModelLayer>,
}

/// The model as JSON: per layer `weights` as rows of outputs, `bias` and
/// `activation`, with the input feature names.
pub fn model_json(network: &Network, data: &Dataset) -> String {
    let last = network.layers.len() - 1;
    let layers = network
        .layers
        .iter()
        .enumerate()
        .map(|(index, layer)| ModelLayer {
            kind: match layer.kind {
                LayerKind::Dense => "dense",
                LayerKind::Conv(_) => "conv",
                LayerKind::MaxPool(_) => "max-pool",
            },
            conv: match layer.kind {
                LayerKind::Conv(g) => Some(g),
                _ => None,
            },
            pool: match layer.kind {
                LayerKind::MaxPool(g) => Some(g),
                _ => None,
            },
            weights: match network.weights(index).len().checked_div(layer.weight_rows()) {
                Some(per_row) if per_row > 0 => network.weights(index).chunks_exact(per_row).map(<[f64]>::to_vec).collect(),
                _ => Vec::new(),
            },
            bias: network.bias(index).to_vec(),
            activation: if index == last { data.loss.output_activation_name() } else { layer.activation.name() },
            batch_norm: layer.batch_norm.as_ref().map(|bn| ModelBatchNorm {
                scale: network.params[bn.scale.clone()].to_vec(),
                shift: network.params[bn.shift.clone()].to_vec(),
                running_mean: bn.running_mean.clone(),
                running_var: bn.running_var.clone(),
                epsilon: crate::nn::BATCH_NORM_EPSILON,
            }),
            dropout: layer.dropout,
        })
        .collect();
    let model = Model {
        format: "emergence-lab-model/1",
        inputs: data.input_names(),
        loss: data.loss.name(),
        classes: data.task.classes(),
        leaky_slope: network.leaky_slope,
        layers,
    };
    serde_json::to_string_pretty(&model).expect("a model always serialises")
}

/// The raw data and labels: `x, y, label` for points (a and b for pairs),
/// the pixels `p0..p63, label` for images (MNIST's as the grey levels 0
/// to 255 of its files).
pub fn write_points_csv<W: Write>(split: &Split, task: TaskKind, plane: &InputPlane, out: W) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let label_text = |label: f64| match task {
        TaskKind::Classification { .. } => (label as usize).to_string(),
        TaskKind::Regression => label.to_string(),
    };
    match plane {
        InputPlane::Image { width, height } => {
            let pixels = width * height;
            let mut header: Vec<String> = (0..pixels).map(|i| format!("p{i}")).collect();
            header.push("label".into());
            writer.write_record(&header)?;
            let mut row = vec![0.0; pixels];
            for (index, &label) in split.labels.iter().enumerate() {
                let mut record: Vec<String> = match &split.inputs {
                    Inputs::Grey { levels, .. } => levels[index * pixels..(index + 1) * pixels].iter().map(u8::to_string).collect(),
                    Inputs::Dense(_) => {
                        split.inputs.copy_rows(pixels, index, &mut row);
                        row.iter().map(f64::to_string).collect()
                    }
                };
                record.push(label_text(label));
                writer.write_record(&record)?;
            }
        }
        _ => {
            let names = if matches!(plane, InputPlane::Pairs { .. }) { ["a", "b", "label"] } else { ["x", "y", "label"] };
            writer.write_record(names)?;
            for (point, &label) in split.points.iter().zip(&split.labels) {
                writer.write_record([point[0].to_string(), point[1].to_string(), label_text(label)])?;
            }
        }
    }
    writer.flush()?;
    Ok(())
}

/// The confusion matrix of a classifier on a split: `counts[true][predicted]`;
/// `None` for regression or a network whose outputs are not finite.
pub fn confusion_matrix(network: &Network, data: &Dataset, split: &Split) -> Option<Vec<Vec<u32>>> {
    let classes = data.task.classes()?;
    let predicted = Inference::default().classes(network, data.loss, &split.inputs);
    let predicted: Vec<usize> = predicted.into_iter().collect::<Option<_>>()?;
    let mut counts = vec![vec![0u32; classes]; classes];
    for (&label, &guess) in split.labels.iter().zip(&predicted) {
        counts[label as usize][guess] += 1;
    }
    Some(counts)
}

/// A confusion matrix as CSV: one row per true class, one column per
/// predicted class.
pub fn write_confusion_csv<W: Write>(counts: &[Vec<u32>], out: W) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["true \\ predicted".to_string()];
    header.extend((0..counts.len()).map(|c| c.to_string()));
    writer.write_record(&header)?;
    for (class, row) in counts.iter().enumerate() {
        let mut record = vec![class.to_string()];
        record.extend(row.iter().map(u32::to_string));
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct FinalMetrics {
    pub step: u64,
    pub train_loss: f64,
    pub test_loss: f64,
    pub train_acc: Option<f64>,
    pub test_acc: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Updates applied.
    pub steps: u64,
    pub epochs: u64,
    pub samples_per_second: f64,
    pub wall_seconds: f64,
    /// Of the wall time, the seconds spent in probes (measuring the
    /// network and evaluating it on both sets), not training.
    pub probe_seconds: f64,
    /// Samples per second of training alone: over the wall time without
    /// the probes'.
    pub training_samples_per_second: f64,
    /// The metrics at the last probe (the last step, or the last probe
    /// before a divergence).
    #[serde(rename = "final")]
    pub final_metrics: FinalMetrics,
    pub diverged: Option<Divergence>,
    /// Which kernels computed the run, and whether its bits are the same on
    /// every CPU and in wasm.
    pub kernels: Kernels,
}

#[derive(Debug, Clone, Serialize)]
pub struct Kernels {
    /// True when every number of the run is computed in a fixed order with
    /// portable maths: the same seed gives the same bits everywhere.
    pub portable: bool,
    pub dense: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convolution: Option<String>,
    /// The threads that worked on each training step (on fixed slices of
    /// the batch: the bits do not depend on this number).
    pub threads: usize,
}

impl Kernels {
    pub fn of(trainer: &Trainer) -> Self {
        let network = trainer.network();
        let convolution = network.has_convolutions().then(|| crate::nn::gemm::kernel_description(network.precision));
        // A convolutional network's dense layers multiply through
        // matrixmultiply too, in f64 whatever its precision.
        let dense = match &convolution {
            Some(_) => crate::nn::gemm::kernel_description(crate::nn::Precision::F64),
            None => crate::nn::kernels::dense_kernel_description().to_string(),
        };
        Self { portable: convolution.is_none(), dense, convolution, threads: trainer.threads() }
    }
}

impl Summary {
    /// The summary of a run (its main replica's numbers), `samples` per
    /// `wall_seconds` of all replicas, of which `probe_seconds` probing.
    pub fn of(run: &Run, wall_seconds: f64, probe_seconds: f64) -> Self {
        let main = run.main();
        let latest = main.latest();
        let samples = run.samples_seen() as f64;
        let per_second = |seconds: f64| if seconds > 0.0 { samples / seconds } else { 0.0 };
        Self {
            steps: main.step_count(),
            epochs: main.epoch(),
            samples_per_second: per_second(wall_seconds),
            wall_seconds,
            probe_seconds,
            training_samples_per_second: per_second(wall_seconds - probe_seconds),
            final_metrics: FinalMetrics {
                step: latest.step,
                train_loss: latest.train_loss,
                test_loss: latest.test_loss,
                train_acc: latest.train_acc,
                test_acc: latest.test_acc,
            },
            diverged: main.diverged().cloned(),
            kernels: Kernels::of(main),
        }
    }
}

/// fourier.csv, a row at a time as the probes come (modular addition):
/// the progress measures of [`FourierRecord`], the power share of each
/// frequency last.
pub struct FourierWriter<W: Write> {
    writer: csv::Writer<W>,
    header_written: bool,
}

impl<W: Write> FourierWriter<W> {
    pub fn new(out: W) -> Self {
        Self { writer: csv::Writer::from_writer(out), header_written: false }
    }

    pub fn write(&mut self, records: &[FourierRecord]) -> csv::Result<()> {
        let optional = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        for record in records {
            if !self.header_written {
                let mut header: Vec<String> = [
                    "step",
                    "median_share",
                    "share_q1",
                    "share_q3",
                    "frequencies_in_use",
                    "concentrated_neurons",
                    "concentrated_frequencies",
                    "strongest_5_share",
                    "logit_sum_share",
                    "excluded_loss",
                ]
                .map(String::from)
                .to_vec();
                header.extend((1..=record.power_shares.len()).map(|k| format!("power_k{k}")));
                self.writer.write_record(&header)?;
                self.header_written = true;
            }
            let mut row = vec![
                record.step.to_string(),
                record.median_share.to_string(),
                record.share_quartiles.0.to_string(),
                record.share_quartiles.1.to_string(),
                record.distinct_frequencies.to_string(),
                record.concentrated_neurons.to_string(),
                record.distinct_concentrated_frequencies.to_string(),
                record.strongest_share.to_string(),
                optional(record.sum_share),
                optional(record.excluded_loss),
            ];
            row.extend(record.power_shares.iter().map(f64::to_string));
            self.writer.write_record(&row)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> csv::Result<()> {
        self.writer.flush()?;
        Ok(())
    }
}

/// Writes a value as pretty JSON.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), WriteError> {
    let json = serde_json::to_string_pretty(value).expect("reports always serialise");
    fs::write(path, json).map_err(|e| write_error(path, e))
}

/// Creates `path` and hands a buffered writer to `write`, naming the file
/// in any error.
pub fn write_csv_file(path: &Path, write: impl FnOnce(std::io::BufWriter<fs::File>) -> csv::Result<()>) -> Result<(), WriteError> {
    let file = fs::File::create(path).map_err(|e| write_error(path, e))?;
    write(std::io::BufWriter::new(file)).map_err(|e| csv_error(path, e))
}

/// The homogenisation history: one row per probe with the means over
/// replica pairs.
pub fn write_homogeneity_csv<W: Write>(history: &[crate::analysis::homogeneity::HomogeneitySummary], out: W) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let layers = history.first().map_or(0, |h| h.cka.len());
    let hidden = history.first().map_or(0, |h| h.within_layer.len());
    let mut header: Vec<String> = [
        "step",
        "mean_test_acc",
        "agreement",
        "agreement_chance",
        "ood_agreement",
        "ood_agreement_chance",
        "weight_cosine",
        "weight_cosine_chance",
        "weight_cosine_matched",
        "weight_cosine_matched_chance",
    ]
    .map(String::from)
    .to_vec();
    header.extend((1..=layers).flat_map(|k| [format!("cka_l{k}"), format!("cka_chance_l{k}")]));
    header.extend((1..=hidden).map(|k| format!("within_layer_l{k}")));
    writer.write_record(&header)?;
    let optional = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for h in history {
        let mut row: Vec<String> = [
            h.mean_test_accuracy,
            h.agreement,
            h.agreement_chance,
            h.ood_agreement,
            h.ood_agreement_chance,
            h.weight_cosine,
            h.weight_cosine_chance,
            h.weight_cosine_matched,
            h.weight_cosine_matched_chance,
        ]
        .into_iter()
        .map(optional)
        .collect();
        row.insert(0, h.step.to_string());
        row.extend(h.cka.iter().zip(&h.cka_chance).flat_map(|(&v, &c)| [optional(v), optional(c)]));
        row.extend(h.within_layer.iter().map(|&v| optional(v)));
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}

/// Writes the outputs every run has (but metrics.csv, written as the run
/// goes) into `dir`, less the `skip`ped ones.
pub fn write_run(dir: &Path, run: &Run, summary: &Summary, skip: &[Skippable]) -> Result<(), WriteError> {
    let file = |name: &str| dir.join(name);
    let main = run.main();
    let data = run.data();
    let path = file("config.toml");
    fs::write(&path, run.config().to_toml()).map_err(|e| write_error(&path, e))?;
    if !skip.contains(&Skippable::Model) {
        let path = file("model.json");
        fs::write(&path, model_json(main.network(), data)).map_err(|e| write_error(&path, e))?;
    }
    if !skip.contains(&Skippable::Data) {
        write_csv_file(&file("data_train.csv"), |out| write_points_csv(&data.train, data.task, &data.plane, out))?;
        write_csv_file(&file("data_test.csv"), |out| write_points_csv(&data.test, data.task, &data.plane, out))?;
    }
    write_json(&file("summary.json"), summary)
}
