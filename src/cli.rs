//! The command line: `run` trains headless and writes a run directory,
//! `presets` and `lessons` list what ships, `gui` (with the `gui` feature)
//! opens the app. Its arguments are in [`crate::args`].

use std::io::IsTerminal;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use crate::analysis::emergence::emergence_report;
use crate::args::{Cli, Command, EXIT_BAD_INPUT, EXIT_CLAIM_FAILED, EXIT_OK, LessonsArgs, RunArgs};
use crate::config::{Override, PRESETS};
use crate::lessons::Lesson;
use crate::lessons::checks::Verdict;
use crate::lessons::verify::{Plan, verify_step};
use crate::report::{
    MetricsWriter, RunOutput, Summary, WriteError, confusion_matrix, write_confusion_csv, write_csv_file, write_homogeneity_csv,
    write_json, write_run,
};
use crate::run::Run;

/// Parses the arguments, runs the command, and returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Run(args)) => run(&args),
        Some(Command::Presets) => {
            list_presets();
            EXIT_OK
        }
        Some(Command::Lessons(args)) => lessons(&args),
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

/// `emergence-lab lessons`: lists the lessons (every file checked as it is
/// read) or, with `--verify`, runs every step's checks.
fn lessons(args: &LessonsArgs) -> i32 {
    let (lessons, errors, folder) = match &args.dir {
        Some(dir) => {
            let (lessons, errors) = crate::lessons::load_lessons(dir);
            (lessons, errors, Some(dir.clone()))
        }
        None => crate::lessons::available_lessons(),
    };
    for error in &errors {
        eprintln!("error: {error}");
    }
    if let Some(unknown) = args.names.iter().find(|name| !lessons.iter().any(|l| &l.name == *name)) {
        let known: Vec<&str> = lessons.iter().map(|l| l.name.as_str()).collect();
        return bad_input(&format!("no lesson \"{unknown}\"; the lessons are: {}", known.join(", ")));
    }
    let chosen: Vec<&Lesson> = lessons.iter().filter(|l| args.names.is_empty() || args.names.contains(&l.name)).collect();
    let verified = if args.verify {
        verify_lessons(&chosen, args.seeds.unwrap_or(DEFAULT_VERIFY_SEEDS), args.verbose)
    } else {
        match folder {
            Some(folder) => println!("lessons in {}:", folder.display()),
            None => println!("built-in lessons:"),
        }
        for lesson in chosen {
            let checks: usize = lesson.steps.iter().map(|s| s.checks.len()).sum();
            println!("  {:28} {} ({} steps, {checks} checks)", lesson.name, lesson.title, lesson.steps.len());
        }
        EXIT_OK
    };
    if errors.is_empty() { verified } else { EXIT_BAD_INPUT }
}

/// Seeds 1 to 10: a claim a class will see holds on most of them.
const DEFAULT_VERIFY_SEEDS: u32 = 10;

/// Prints one row per check (lesson, step, seeds passed, required, result,
/// check) as each step finishes.
fn verify_lessons(lessons: &[&Lesson], seeds: u32, verbose: bool) -> i32 {
    let started = Instant::now();
    let width = lessons.iter().map(|l| l.name.len()).max().unwrap_or(6).max(6);
    println!("{:width$}  step  passed  required  result  check (seeds 1 to {seeds})", "lesson");
    let (mut checked, mut failing, mut broken) = (0, 0, false);
    for lesson in lessons {
        for (index, step) in lesson.steps.iter().enumerate() {
            let number = index + 1;
            if step.checks.is_empty() {
                println!("{:width$}  {number:>4}  {:>6}  {:>8}  {:6}  (no checks)", lesson.name, "-", "-", "-");
                continue;
            }
            let result = match verify_step(step, Plan { seeds, max_steps: None }) {
                Ok(result) => result,
                Err(error) => {
                    eprintln!("error: {} step {number}: {error}", lesson.name);
                    broken = true;
                    continue;
                }
            };
            for check in &result.checks {
                checked += 1;
                failing += usize::from(!check.holds());
                let passed = format!("{}/{}", check.passed(), result.seeds);
                let verdict = if check.holds() { "ok" } else { "FAILS" };
                println!("{:width$}  {number:>4}  {passed:>6}  {:>8}  {verdict:6}  {}", lesson.name, check.required, check.check);
                if verbose {
                    for (seed, outcome) in check.outcomes.iter().enumerate() {
                        let verdict = match outcome.verdict {
                            Verdict::Passed => "pass",
                            Verdict::Failed => "FAIL",
                            Verdict::Pending => "open",
                        };
                        println!("{:width$}        seed {:>3}: {verdict}  {}", "", seed + 1, outcome.note);
                    }
                }
            }
            if verbose {
                println!("{:width$}        ({:.1} s for step {number})", "", result.seconds);
            }
        }
    }
    let plural = if checked == 1 { "" } else { "s" };
    println!("{checked} check{plural}, {failing} missing the seeds required, in {:.0} s", started.elapsed().as_secs_f64());
    if broken {
        EXIT_BAD_INPUT
    } else if failing > 0 {
        EXIT_CLAIM_FAILED
    } else {
        EXIT_OK
    }
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
    while done < steps {
        let taken = chunk.min(steps - done);
        run.run(taken);
        done += taken;
        if let Err(error) = metrics.write(&run.take_unwritten_records()).map_err(csv_failed) {
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

fn bad_input(message: &str) -> i32 {
    eprintln!("error: {message}");
    EXIT_BAD_INPUT
}
