//! The command line: `run` trains headless and writes a run directory,
//! `presets` and `lessons` list what ships, `gui` (with the `gui` feature)
//! opens the app. Its arguments are in [`crate::args`].

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use crate::analysis::emergence::emergence_report;
use crate::args::{Cli, Command, EXIT_BAD_INPUT, EXIT_OK, ExplainArgs, RunArgs};
use crate::config::{Override, PRESETS};
use crate::report::{
    FourierWriter, MetricsWriter, RunOutput, Summary, WriteError, confusion_matrix, write_confusion_csv, write_csv_file,
    write_homogeneity_csv, write_json, write_run,
};
use crate::run::Run;
use crate::run::session::PointChoice;

/// Parses the arguments, runs the command, and returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Run(args)) => run(&args),
        Some(Command::Explain(args)) => explain(&args),
        Some(Command::Presets) => {
            list_presets();
            EXIT_OK
        }
        Some(Command::Lessons { dir }) => list_lessons(dir),
        #[cfg(feature = "gui")]
        Some(Command::Gui(args)) => crate::app::run(args),
        #[cfg(feature = "gui")]
        None => crate::app::run(crate::args::GuiArgs::default()),
        #[cfg(not(feature = "gui"))]
        None => {
            eprintln!("this build has no app (built without the `gui` feature); try `emergence-lab run --help`");
            EXIT_BAD_INPUT
        }
    }
}

fn list_presets() {
    let width = PRESETS.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for preset in PRESETS {
        println!("{:width$}  {}", preset.name, preset.description());
    }
}

fn list_lessons(dir: Option<PathBuf>) -> i32 {
    let (lessons, errors, folder) = match dir {
        Some(dir) => {
            let (lessons, errors) = crate::lessons::load_lessons(&dir);
            (lessons, errors, Some(dir))
        }
        None => crate::lessons::available_lessons(),
    };
    match folder {
        Some(folder) => println!("lessons in {}:", folder.display()),
        None => println!("built-in lessons:"),
    }
    for lesson in &lessons {
        println!("  {:28} {} ({} steps)", lesson.name, lesson.title, lesson.steps.len());
    }
    for error in &errors {
        eprintln!("error: {error}");
    }
    if errors.is_empty() { EXIT_OK } else { EXIT_BAD_INPUT }
}

/// How many probe records a headless run keeps in memory; metrics.csv
/// gets every one as it comes.
const HISTORY_IN_MEMORY: usize = 20_000;

/// `emergence-lab run`: trains, shows progress on a terminal, writes the
/// run directory. Bad input gives exit code 2 and a message on stderr,
/// before any training where it can be known then.
pub fn run(args: &RunArgs) -> i32 {
    let mut flags = Vec::new();
    if let Some(steps) = args.steps {
        flags.push(Override::flag(format!("--steps {steps}"), "training.steps", steps as i64));
    }
    if let Some(seed) = args.seed {
        flags.push(Override::flag(format!("--seed {seed}"), "seed", seed as i64));
    }
    if let Some(count) = args.replicas {
        flags.push(Override::flag(format!("--replicas {count}"), "replicas.count", count as i64));
    }
    let config = match args.config.load(&flags) {
        Ok(config) => config,
        Err(error) => return bad_input(&error.to_string()),
    };
    let output = match RunOutput::prepare(&args.out) {
        Ok(output) => output,
        Err(error) => return bad_input(&error.to_string()),
    };
    let several = config.replicas.count > 1;
    let mut run = match Run::new(config) {
        Ok(run) => run,
        Err(error) => return bad_input(&error.to_string()),
    };
    let layers = run.main().network().layers.len();
    let metrics_path = output.file("metrics.csv");
    let mut metrics = match std::fs::File::create(&metrics_path)
        .map_err(|source| WriteError::Io { path: metrics_path.clone(), source })
        .and_then(|file| {
            MetricsWriter::new(std::io::BufWriter::new(file), layers)
                .map_err(|source| WriteError::Csv { path: metrics_path.clone(), source })
        }) {
        Ok(writer) => writer,
        Err(error) => return bad_input(&error.to_string()),
    };
    run.limit_history(HISTORY_IN_MEMORY);
    run.stream_records();
    // Modular addition: the Fourier progress measures at every probe.
    let fourier_path = output.file("fourier.csv");
    let fourier_failed = |source| WriteError::Csv { path: fourier_path.clone(), source };
    let mut fourier = match run.data().plane {
        crate::data::InputPlane::Pairs { .. } => match std::fs::File::create(&fourier_path) {
            Ok(file) => Some(FourierWriter::new(std::io::BufWriter::new(file))),
            Err(source) => return bad_input(&WriteError::Io { path: fourier_path.clone(), source }.to_string()),
        },
        _ => None,
    };
    let steps = run.config().training.steps;
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(steps);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} steps  {per_sec}  eta {eta}  {msg}").expect("the template is valid"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let csv_failed = |source| WriteError::Csv { path: metrics_path.clone(), source };
    let started = Instant::now();
    let chunk = (steps / 200).clamp(1, 10_000);
    let mut done = 0;
    // Step 0's probe was taken before streaming began.
    if let Err(error) = metrics.write(run.main().history().records()).map_err(csv_failed) {
        return bad_input(&error.to_string());
    }
    if let Some(writer) = &mut fourier
        && let Err(error) = writer.write(run.fourier()).map_err(fourier_failed)
    {
        return bad_input(&error.to_string());
    }
    while done < steps {
        let taken = chunk.min(steps - done);
        run.run(taken);
        done += taken;
        if let Err(error) = metrics.write(&run.take_unwritten_records()).map_err(csv_failed) {
            return bad_input(&error.to_string());
        }
        let fourier_rows = run.take_unwritten_fourier();
        if let Some(writer) = &mut fourier
            && let Err(error) = writer.write(&fourier_rows).map_err(fourier_failed)
        {
            return bad_input(&error.to_string());
        }
        progress.set_position(done);
        progress.set_message(format!("test loss {:.4}", run.main().latest().test_loss));
        if run.all_diverged() {
            break;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    // The final state, also after a divergence: the network as it was just
    // before the non-finite value, which shows what exploded.
    run.probe_stale();
    if let Err(error) = metrics.write(&run.take_unwritten_records()).and_then(|()| metrics.finish()).map_err(csv_failed) {
        return bad_input(&error.to_string());
    }
    let fourier_rows = run.take_unwritten_fourier();
    if let Some(mut writer) = fourier
        && let Err(error) = writer.write(&fourier_rows).and_then(|()| writer.finish()).map_err(fourier_failed)
    {
        return bad_input(&error.to_string());
    }
    let data = run.data();
    let confusion = confusion_matrix(run.main().network(), data, &data.test);
    let summary = Summary::of(&run, wall);
    let written = write_run(&output.file(""), &run, &summary)
        .and_then(|()| write_json(&output.file("emergence.json"), &emergence_report(run.main())))
        .and_then(|()| match &confusion {
            Some(counts) => write_csv_file(&output.file("confusion.csv"), |out| write_confusion_csv(counts, out)),
            None => Ok(()),
        });
    let written = written.and_then(|()| {
        if !several {
            return Ok(());
        }
        let report = run.measure().clone();
        write_json(&output.file("homogenisation.json"), &report)?;
        let mut history = run.homogeneity_history().to_vec();
        if history.last().is_none_or(|h| h.step != report.step) {
            history.push(report.summary());
        }
        write_csv_file(&output.file("homogenisation.csv"), |out| write_homogeneity_csv(&history, out))
    });
    let target = output.target().to_path_buf();
    match written.and_then(|()| output.finish()) {
        Ok(0) => {}
        Ok(replaced) => eprintln!("replaced {replaced} files of an earlier run in {}", target.display()),
        Err(error) => return bad_input(&error.to_string()),
    }
    let last = &summary.final_metrics;
    let accuracy = last.test_acc.map(|a| format!(", test accuracy {:.1}%", 100.0 * a)).unwrap_or_default();
    match &summary.diverged {
        Some(divergence) => eprintln!("diverged: {divergence}; outputs in {}", target.display()),
        None => eprintln!(
            "{} steps in {:.2} s ({:.0} samples/s): test loss {:.4}{accuracy}; outputs in {}",
            summary.steps,
            wall,
            summary.samples_per_second,
            last.test_loss,
            target.display()
        ),
    }
    EXIT_OK
}

/// `emergence-lab explain`: trains `--steps` steps, then writes the
/// explanation of one step on one training point as JSON. A network too
/// large to read, one with batch normalisation or dropout, or a point the
/// training set does not have is bad input (exit code 2), found before any
/// training.
pub fn explain(args: &ExplainArgs) -> i32 {
    // One network: replicas would train alongside without being shown.
    let mut flags = vec![Override::flag("explain", "replicas.count", 1)];
    if let Some(seed) = args.seed {
        flags.push(Override::flag(format!("--seed {seed}"), "seed", seed as i64));
    }
    let config = match args.config.load(&flags) {
        Ok(config) => config,
        Err(error) => return bad_input(&error.to_string()),
    };
    let mut run = match Run::new(config) {
        Ok(run) => run,
        Err(error) => return bad_input(&error.to_string()),
    };
    if let Err(error) = crate::explain::readable(run.main()) {
        return bad_input(&error.to_string());
    }
    let train_len = run.data().train.len();
    if let PointChoice::Index(point) = args.point
        && point >= train_len
    {
        return bad_input(&format!("--point {point}: {}", crate::train::PointOutOfRange { point, len: train_len }));
    }
    run.run(args.steps);
    let point = match args.point {
        PointChoice::Next => run.main().next_point(),
        PointChoice::Index(point) => point,
    };
    let explanation = match crate::explain::step(run.main(), point) {
        Ok(explanation) => explanation,
        Err(error) => return bad_input(&error.to_string()),
    };
    match &args.out {
        Some(path) => {
            if let Err(error) = write_json(path, &explanation) {
                return bad_input(&error.to_string());
            }
            eprintln!("step {} on training point {point} explained in {}", explanation.step, path.display());
        }
        None => {
            let json = serde_json::to_string_pretty(&explanation).expect("an explanation serialises");
            let mut out = std::io::stdout().lock();
            match out.write_all(json.as_bytes()).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush()) {
                Ok(()) => {}
                // The reader stopped early (`| head`): nothing to report.
                Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(error) => return bad_input(&format!("cannot write to standard output: {error}")),
            }
        }
    }
    EXIT_OK
}

fn bad_input(message: &str) -> i32 {
    eprintln!("error: {message}");
    EXIT_BAD_INPUT
}
