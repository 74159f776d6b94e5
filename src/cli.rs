//! The command line: `run` trains headless and writes a run directory,
//! `sweep` runs or plans a grid of runs and `sweep collect` summarises one,
//! `presets` and `lessons` list what ships, `gui` (with the `gui` feature)
//! opens the app. Its arguments are in [`crate::args`].

use std::io::{IsTerminal, Write};
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::{
    Cli, CollectArgs, Command, EXIT_BAD_INPUT, EXIT_CLAIM_FAILED, EXIT_OK, ExplainArgs, LessonsArgs, RunArgs, SweepAction, SweepArgs,
};
use crate::config::{Override, PRESETS};
use crate::headless::{Finished, train_to_directory};
use crate::lessons::Lesson;
use crate::lessons::checks::Verdict;
use crate::lessons::verify::{Plan, verify_step};
use crate::report::write_json;
use crate::run::Run;
use crate::run::session::PointChoice;
use crate::sweep::{Collected, HeatmapOutcome, JobDone, SweepRequest, collect, execute, plan};

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
        Some(Command::Lessons(args)) => lessons(&args),
        Some(Command::Sweep(command)) => match &command.action {
            Some(SweepAction::Collect(args)) => collect_sweep(args),
            None => sweep(&command.args),
        },
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
    let steps = config.training.steps;
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(steps);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} steps  {per_sec}  eta {eta}  {msg}").expect("the template is valid"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let finished = train_to_directory(config, &args.out, &args.skip, args.experiment, |run, done| {
        progress.set_position(done);
        progress.set_message(format!("test loss {:.4}", run.main().latest().test_loss));
    });
    progress.finish_and_clear();
    let Finished { summary, target, replaced } = match finished {
        Ok(finished) => finished,
        Err(error) => return bad_input(&error.to_string()),
    };
    if replaced > 0 {
        eprintln!("replaced {replaced} files of an earlier run in {}", target.display());
    }
    let last = &summary.final_metrics;
    let accuracy = last.test_acc.map(|a| format!(", test accuracy {:.1}%", 100.0 * a)).unwrap_or_default();
    match &summary.diverged {
        Some(divergence) => eprintln!("diverged: {divergence}; outputs in {}", target.display()),
        None => eprintln!(
            "{} steps in {:.2} s ({:.0} samples/s): test loss {:.4}{accuracy}; outputs in {}",
            summary.steps,
            summary.wall_seconds,
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

/// `emergence-lab sweep`: plans the grid (every config validated first),
/// then with --out runs it on this machine's cores and collects it.
fn sweep(args: &SweepArgs) -> i32 {
    let mut flags = Vec::new();
    if let Some(steps) = args.steps {
        flags.push(Override::flag(format!("--steps {steps}"), "training.steps", steps as i64));
    }
    let overrides = match args.config.overrides_with(&flags) {
        Ok(overrides) => overrides,
        Err(error) => return bad_input(&error.to_string()),
    };
    let request = SweepRequest {
        source: args.config.source(),
        overrides,
        grid: args.grid.clone(),
        seeds: args.seeds,
        metric: args.metric,
        xi_multiple: args.xi_multiple,
    };
    let (dir, run_here) = match (&args.out, &args.plan) {
        (Some(out), _) => (out, true),
        (None, Some(plan)) => (plan, false),
        (None, None) => unreachable!("clap requires --out or --plan"),
    };
    let planned = match plan(&request, dir) {
        Ok(planned) => planned,
        Err(error) => return bad_input(&error.to_string()),
    };
    let runs = planned.cells.len() * planned.seeds.len();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let shape = format!("{} x {}", plural(planned.cells.len(), "cell"), plural(planned.seeds.len(), "seed"));
    if !run_here {
        let jobs = dir.join("jobs.txt");
        eprintln!(
            "planned {runs} runs ({shape}) in {}: {} has one `emergence-lab run` line per run; run them, e.g. `parallel < {}`, \
             then `emergence-lab sweep collect {}`",
            dir.display(),
            jobs.display(),
            jobs.display(),
            dir.display()
        );
        return EXIT_OK;
    }
    let threads = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    eprintln!("{runs} runs ({shape}), {} at a time, in {}", threads.min(runs), dir.display());
    let terminal = std::io::stderr().is_terminal();
    let progress = if terminal {
        let bar = ProgressBar::new(runs as u64);
        bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} runs  eta {eta}  {msg}").expect("the template is valid"));
        bar
    } else {
        ProgressBar::hidden()
    };
    let executed = execute(&planned, dir, threads, |done: JobDone| {
        let outcome = match done.outcome {
            Ok(summary) => match (&summary.diverged, summary.final_metrics.test_acc) {
                (Some(divergence), _) => format!("diverged ({divergence})"),
                (None, Some(accuracy)) => format!("test accuracy {:.1}%", 100.0 * accuracy),
                (None, None) => format!("test loss {:.4}", summary.final_metrics.test_loss),
            },
            Err(error) => format!("failed: {error}"),
        };
        let line = format!("{} seed {}: {outcome} in {:.1} s", done.cell_name, done.job.seed, done.seconds);
        if terminal {
            progress.set_position(done.done as u64);
            progress.set_message(line);
        } else {
            eprintln!("[{}/{}] {line}", done.done, done.total);
        }
    });
    progress.finish_and_clear();
    if let Err(error) = executed {
        return bad_input(&error.to_string());
    }
    report_collected(collect(dir, None, None, false))
}

/// `emergence-lab sweep collect DIR`.
fn collect_sweep(args: &CollectArgs) -> i32 {
    report_collected(collect(&args.dir, args.metric, args.xi_multiple, args.allow_missing))
}

fn report_collected(collected: Result<Collected, crate::sweep::SweepError>) -> i32 {
    let collected = match collected {
        Ok(collected) => collected,
        Err(error) => return bad_input(&error.to_string()),
    };
    for missing in &collected.missing {
        eprintln!("left out: {missing}");
    }
    eprintln!("{} runs summarised: {} and {}", collected.runs, collected.summary.display(), collected.cells.display());
    match &collected.heatmap {
        HeatmapOutcome::Drawn(path) => eprintln!("heatmap: {}", path.display()),
        HeatmapOutcome::NotDrawn(why) => eprintln!("no heatmap: {why}"),
    }
    EXIT_OK
}

fn bad_input(message: &str) -> i32 {
    eprintln!("error: {message}");
    EXIT_BAD_INPUT
}
