//! The shipped lessons all load, match the built-in copies, and every step
//! trains a few hundred steps without diverging, unless the step is about
//! divergence, in which case it must diverge.

use emergence_lab::lessons::{built_in_lessons, load_lessons};
use emergence_lab::train::Trainer;

fn shipped_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lessons")
}

#[test]
fn every_shipped_lesson_loads_and_matches_the_built_in_copy() {
    let (lessons, errors) = load_lessons(&shipped_dir());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(lessons.len(), 11);
    let (built_in, errors) = built_in_lessons();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(built_in, lessons, "the built-in list is out of step with assets/lessons");
    for lesson in &lessons {
        assert!(!lesson.title.is_empty() && !lesson.summary.is_empty());
        for step in &lesson.steps {
            for text in [&step.watch, &step.expect, &step.why] {
                assert!(text.len() > 10, "{}: step {:?} has a thin text", lesson.name, step.title);
            }
        }
    }
}

#[test]
fn every_step_trains_as_its_lesson_says() {
    let (lessons, _) = load_lessons(&shipped_dir());
    for lesson in &lessons {
        for (index, step) in lesson.steps.iter().enumerate() {
            let mut trainer = Trainer::new(step.config.clone()).unwrap();
            trainer.run(300);
            let label = format!("{} step {} ({})", lesson.name, index + 1, step.title);
            if step.expect_divergence {
                assert!(trainer.diverged().is_some(), "{label} should diverge");
            } else {
                assert!(trainer.diverged().is_none(), "{label} diverged: {:?}", trainer.diverged());
            }
        }
    }
}
