//! The shipped lessons all load, match the built-in copies, back every
//! step with checks, and every claim holds on the seeds the suite can
//! afford (`lessons --verify` runs all ten).

use emergence_lab::lessons::verify::{Plan, verify_step};
use emergence_lab::lessons::{Lesson, built_in_lessons, load_lessons};

fn shipped_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lessons")
}

fn shipped() -> Vec<Lesson> {
    let (lessons, errors) = load_lessons(&shipped_dir());
    assert!(errors.is_empty(), "{errors:?}");
    lessons
}

#[test]
fn every_shipped_lesson_loads_and_matches_the_built_in_copy() {
    let lessons = shipped();
    assert_eq!(lessons.len(), 14);
    let (built_in, errors) = built_in_lessons();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(built_in, lessons, "the built-in list is out of step with assets/lessons");
    for lesson in &lessons {
        assert!(!lesson.title.is_empty() && !lesson.summary.is_empty());
        for step in &lesson.steps {
            for text in [&step.watch, &step.expect, &step.why] {
                assert!(text.len() > 10, "{}: step {:?} has a thin text", lesson.name, step.title);
            }
            assert!(!step.checks.is_empty(), "{}: step {:?} claims what it expects without a check", lesson.name, step.title);
        }
    }
}

/// Each claim is verified here on seeds 1 and 2 (a share such as "8 of 10"
/// scales down to them, rounded down); a step marked `slow` on seed 1 and
/// its first 500 steps, so only its early claims are checked here and the
/// rest by `emergence-lab lessons --verify`.
const QUICK: Plan = Plan { seeds: 2, max_steps: None };
const SLOW: Plan = Plan { seeds: 1, max_steps: Some(500) };

fn verify(name: &str) {
    let lessons = shipped();
    let lesson = lessons.iter().find(|l| l.name == name).unwrap_or_else(|| panic!("no lesson {name}"));
    let mut failures = Vec::new();
    for (index, step) in lesson.steps.iter().enumerate() {
        let plan = if step.slow { SLOW } else { QUICK };
        let result = verify_step(step, plan).unwrap_or_else(|e| panic!("{name} step {}: {e}", index + 1));
        assert!(!step.slow || result.checks.iter().any(|c| !c.undecided()), "{name} step {}: nothing decided in 500 steps", index + 1);
        for check in result.checks.iter().filter(|c| !(c.holds() || (step.slow && c.undecided()))) {
            let notes: Vec<&str> = check.outcomes.iter().map(|o| o.note.as_str()).collect();
            failures.push(format!(
                "step {} \"{}\": {} of {} seeds, {} required ({notes:?})",
                index + 1,
                check.check,
                check.passed(),
                plan.seeds,
                check.required
            ));
        }
    }
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
}

macro_rules! verify_lessons {
    ($($test:ident => $name:literal),* $(,)?) => {
        const VERIFIED: &[&str] = &[$($name),*];
        $(
            #[test]
            fn $test() {
                verify($name);
            }
        )*
    };
}

verify_lessons! {
    lesson_01_claims_hold => "01-features-emerge",
    lesson_02_claims_hold => "02-vanishing-gradients",
    lesson_03_claims_hold => "03-exploding-gradients",
    lesson_04_claims_hold => "04-symmetry",
    lesson_05_claims_hold => "05-xavier-versus-he",
    lesson_06_claims_hold => "06-dead-relus",
    lesson_07_claims_hold => "07-batch-norm",
    lesson_08_claims_hold => "08-overfitting",
    lesson_09_claims_hold => "09-optimisers",
    lesson_10_claims_hold => "10-homogenisation",
    lesson_11_claims_hold => "11-grokking",
    lesson_12_claims_hold => "12-edge-of-chaos",
    lesson_13_claims_hold => "13-one-step-of-backpropagation",
    lesson_14_claims_hold => "14-what-a-cnn-learns",
}

#[test]
fn every_shipped_lesson_is_verified() {
    let names: Vec<String> = shipped().into_iter().map(|l| l.name).collect();
    assert_eq!(names, VERIFIED, "add the new lesson to verify_lessons!");
}
