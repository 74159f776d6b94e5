//! Lessons: a preset plus a short text, in steps. Each step may change the
//! settings (a preset, then `--set`-style overrides) and says what to
//! watch, what to change, what should happen and why, and carries checks:
//! what should happen, as claims a machine can verify ([`checks`]) over
//! many seeds ([`verify`]).
//!
//! Lessons are TOML files in `assets/lessons/`, read at run time so a
//! teacher can write one without recompiling. A malformed file is reported
//! with its name and the problem; the other lessons still load.

pub mod checks;
pub mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::config::{Config, ConfigError, ConfigSource, load_config, load_config_text};
use crate::files::ReadError;
use checks::{Check, CheckError, SeedShare};

/// The language of the lesson files in the lessons folder itself;
/// translations are in `lessons/<language>/`, under the same file names.
pub const BASE_LANGUAGE: &str = "en-US";

/// The largest lesson file read (lessons are a few kilobytes).
const MAX_LESSON_BYTES: u64 = 1 << 20;

/// The lessons shipped with the program, used when no lessons folder is
/// found next to it.
const BUILT_IN: &[(&str, &str)] = &[
    ("01-features-emerge", include_str!("../../assets/lessons/01-features-emerge.toml")),
    ("02-vanishing-gradients", include_str!("../../assets/lessons/02-vanishing-gradients.toml")),
    ("03-exploding-gradients", include_str!("../../assets/lessons/03-exploding-gradients.toml")),
    ("04-symmetry", include_str!("../../assets/lessons/04-symmetry.toml")),
    ("05-xavier-versus-he", include_str!("../../assets/lessons/05-xavier-versus-he.toml")),
    ("06-dead-relus", include_str!("../../assets/lessons/06-dead-relus.toml")),
    ("07-batch-norm", include_str!("../../assets/lessons/07-batch-norm.toml")),
    ("08-overfitting", include_str!("../../assets/lessons/08-overfitting.toml")),
    ("09-optimisers", include_str!("../../assets/lessons/09-optimisers.toml")),
    ("10-homogenisation", include_str!("../../assets/lessons/10-homogenisation.toml")),
    ("11-grokking", include_str!("../../assets/lessons/11-grokking.toml")),
    ("12-edge-of-chaos", include_str!("../../assets/lessons/12-edge-of-chaos.toml")),
    ("13-one-step-of-backpropagation", include_str!("../../assets/lessons/13-one-step-of-backpropagation.toml")),
    ("14-what-a-cnn-learns", include_str!("../../assets/lessons/14-what-a-cnn-learns.toml")),
];

/// The translations shipped with the program: (language, [(name, text)]).
const BUILT_IN_TRANSLATIONS: &[(&str, &[(&str, &str)])] = &[(
    "zh-CN",
    &[
        ("01-features-emerge", include_str!("../../assets/lessons/zh-CN/01-features-emerge.toml")),
        ("02-vanishing-gradients", include_str!("../../assets/lessons/zh-CN/02-vanishing-gradients.toml")),
        ("03-exploding-gradients", include_str!("../../assets/lessons/zh-CN/03-exploding-gradients.toml")),
        ("04-symmetry", include_str!("../../assets/lessons/zh-CN/04-symmetry.toml")),
        ("05-xavier-versus-he", include_str!("../../assets/lessons/zh-CN/05-xavier-versus-he.toml")),
        ("06-dead-relus", include_str!("../../assets/lessons/zh-CN/06-dead-relus.toml")),
        ("07-batch-norm", include_str!("../../assets/lessons/zh-CN/07-batch-norm.toml")),
        ("08-overfitting", include_str!("../../assets/lessons/zh-CN/08-overfitting.toml")),
        ("09-optimisers", include_str!("../../assets/lessons/zh-CN/09-optimisers.toml")),
        ("10-homogenisation", include_str!("../../assets/lessons/zh-CN/10-homogenisation.toml")),
        ("11-grokking", include_str!("../../assets/lessons/zh-CN/11-grokking.toml")),
        ("12-edge-of-chaos", include_str!("../../assets/lessons/zh-CN/12-edge-of-chaos.toml")),
        ("13-one-step-of-backpropagation", include_str!("../../assets/lessons/zh-CN/13-one-step-of-backpropagation.toml")),
        ("14-what-a-cnn-learns", include_str!("../../assets/lessons/zh-CN/14-what-a-cnn-learns.toml")),
    ],
)];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonFile {
    title: String,
    summary: String,
    steps: Vec<StepFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    title: String,
    /// Start from this preset; without it, from the previous step's
    /// settings.
    #[serde(default)]
    preset: Option<String>,
    /// Overrides in `--set` syntax, applied after the preset.
    #[serde(default)]
    set: Vec<String>,
    /// Start training when the step begins.
    #[serde(default)]
    play: bool,
    watch: String,
    #[serde(default)]
    change: String,
    expect: String,
    why: String,
    /// Claims about the run, in the syntax of [`checks`].
    #[serde(default)]
    checks: Vec<String>,
    /// How many seeds each check must pass, as "8 of 10" (a check may say
    /// its own with "on K of N seeds").
    #[serde(default)]
    seeds: Option<String>,
    /// Its checks take long to verify: the test suite runs them on fewer
    /// seeds.
    #[serde(default)]
    slow: bool,
}

/// One step of a lesson, its settings resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct LessonStep {
    pub title: String,
    pub config: Config,
    pub play: bool,
    pub watch: String,
    pub change: String,
    pub expect: String,
    pub why: String,
    /// What the expect text claims, as checks on the run.
    pub checks: Vec<Check>,
    pub slow: bool,
}

impl LessonStep {
    /// The step's checks, to judge on the app's live session as it runs.
    pub fn live_checks(&self) -> checks::LiveChecks {
        checks::LiveChecks::new(&self.checks, &self.config)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    /// The file's name without `.toml`; lessons are listed in its order.
    pub name: String,
    /// The language its text is in (a tag such as `en-US`, `zh-CN`).
    pub language: String,
    pub title: String,
    pub summary: String,
    pub steps: Vec<LessonStep>,
}

/// A lesson file that could not be used, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("lesson {file}: {problem}")]
pub struct LessonError {
    pub file: String,
    #[source]
    pub problem: Box<LessonProblem>,
}

/// What is wrong with a lesson file. Sources are shared so the list of
/// problems can be copied to the views.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LessonProblem {
    #[error("cannot read the folder: {0}")]
    Folder(#[source] Arc<std::io::Error>),
    #[error("cannot read it: {0}")]
    Read(#[source] Arc<ReadError>),
    #[error("{}", .0.to_string().trim_end())]
    Toml(#[source] toml::de::Error),
    #[error("has no [[steps]]")]
    NoSteps,
    #[error("step 1 must name a preset to start from")]
    NoStartingPreset,
    #[error("step {step} ({title}): {source}")]
    Settings {
        step: usize,
        title: String,
        #[source]
        source: Arc<ConfigError>,
    },
    #[error("step {step} ({title}): seeds: {source}")]
    Seeds {
        step: usize,
        title: String,
        #[source]
        source: CheckError,
    },
    #[error("step {step} ({title}): check \"{check}\": {source}")]
    Check {
        step: usize,
        title: String,
        check: String,
        #[source]
        source: CheckError,
    },
}

/// Parses one lesson; `file` names it in errors.
pub fn parse_lesson(name: &str, text: &str, file: &str) -> Result<Lesson, LessonError> {
    let fail = |problem: LessonProblem| LessonError { file: file.to_string(), problem: Box::new(problem) };
    let parsed: LessonFile = toml::from_str(text).map_err(|e| fail(LessonProblem::Toml(e)))?;
    if parsed.steps.is_empty() {
        return Err(fail(LessonProblem::NoSteps));
    }
    let mut steps = Vec::with_capacity(parsed.steps.len());
    let mut previous: Option<Config> = None;
    for (index, step) in parsed.steps.into_iter().enumerate() {
        let number = index + 1;
        let settings =
            |source: ConfigError| fail(LessonProblem::Settings { step: number, title: step.title.clone(), source: Arc::new(source) });
        let base = match (&step.preset, previous) {
            (Some(preset), _) => load_config(&ConfigSource::Preset(preset.clone()), &[]).map_err(settings)?,
            (None, Some(config)) => config,
            (None, None) => return Err(fail(LessonProblem::NoStartingPreset)),
        };
        let config = load_config_text(&base.to_toml(), &format!("step {number}"), &step.set).map_err(settings)?;
        let seeds = match &step.seeds {
            Some(text) => {
                SeedShare::parse(text).map_err(|source| fail(LessonProblem::Seeds { step: number, title: step.title.clone(), source }))?
            }
            None => SeedShare::DEFAULT,
        };
        let checks = step
            .checks
            .iter()
            .map(|text| {
                Check::parse(text, seeds, &config)
                    .map_err(|source| fail(LessonProblem::Check { step: number, title: step.title.clone(), check: text.clone(), source }))
            })
            .collect::<Result<Vec<_>, _>>()?;
        previous = Some(config.clone());
        steps.push(LessonStep {
            title: step.title,
            config,
            play: step.play,
            watch: step.watch,
            change: step.change,
            expect: step.expect,
            why: step.why,
            checks,
            slow: step.slow,
        });
    }
    Ok(Lesson { name: name.to_string(), language: BASE_LANGUAGE.to_string(), title: parsed.title, summary: parsed.summary, steps })
}

/// Reads every `*.toml` in `dir`, in file-name order.
pub fn load_lessons(dir: &Path) -> (Vec<Lesson>, Vec<LessonError>) {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "toml")).collect(),
        Err(error) => {
            return (
                Vec::new(),
                vec![LessonError { file: dir.display().to_string(), problem: Box::new(LessonProblem::Folder(Arc::new(error))) }],
            );
        }
    };
    files.sort();
    let mut lessons = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let file = path.display().to_string();
        match crate::files::read_text_capped(&path, MAX_LESSON_BYTES) {
            Ok(text) => match parse_lesson(&name, &text, &file) {
                Ok(lesson) => lessons.push(lesson),
                Err(error) => errors.push(error),
            },
            Err(error) => errors.push(LessonError { file, problem: Box::new(LessonProblem::Read(Arc::new(error))) }),
        }
    }
    (lessons, errors)
}

/// The lessons compiled into the program.
pub fn built_in_lessons() -> (Vec<Lesson>, Vec<LessonError>) {
    let mut lessons = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in BUILT_IN {
        match parse_lesson(name, text, &format!("(built in) {name}.toml")) {
            Ok(lesson) => lessons.push(lesson),
            Err(error) => errors.push(error),
        }
    }
    (lessons, errors)
}

/// Where the lessons folder is (see [`crate::files::assets_subdir`]).
pub fn lessons_dir() -> Option<PathBuf> {
    crate::files::assets_subdir("lessons")
}

/// The lessons from the lessons folder if there is one, else the built-in
/// ones; and the problems found.
pub fn available_lessons() -> (Vec<Lesson>, Vec<LessonError>, Option<PathBuf>) {
    match lessons_dir() {
        Some(dir) => {
            let (lessons, errors) = load_lessons(&dir);
            (lessons, errors, Some(dir))
        }
        None => {
            let (lessons, errors) = built_in_lessons();
            (lessons, errors, None)
        }
    }
}

/// The lessons in every language they are written in: the base (English)
/// files, and translations under the same names, each a whole lesson (a
/// teacher may write a lesson in one language only).
#[derive(Debug, Clone, Default)]
pub struct LessonLibrary {
    /// By language tag, each list in file-name order.
    by_language: std::collections::BTreeMap<String, Vec<Lesson>>,
    pub errors: Vec<LessonError>,
    /// Where they were read from (`None`: the built-in copies).
    pub folder: Option<PathBuf>,
}

impl LessonLibrary {
    /// Reads `dir/*.toml` (English) and `dir/<language>/*.toml`.
    pub fn load(dir: &Path) -> Self {
        let (base, mut errors) = load_lessons(dir);
        let mut by_language = std::collections::BTreeMap::from([(BASE_LANGUAGE.to_string(), base)]);
        let mut folders: Vec<PathBuf> =
            std::fs::read_dir(dir).map(|entries| entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect()).unwrap_or_default();
        folders.sort();
        for folder in folders {
            let language = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let (mut lessons, folder_errors) = load_lessons(&folder);
            for lesson in &mut lessons {
                lesson.language = language.clone();
            }
            errors.extend(folder_errors);
            by_language.entry(language).or_default().extend(lessons);
        }
        Self { by_language, errors, folder: Some(dir.to_path_buf()) }
    }

    /// The lessons compiled into the program.
    pub fn built_in() -> Self {
        let (base, mut errors) = built_in_lessons();
        let mut by_language = std::collections::BTreeMap::from([(BASE_LANGUAGE.to_string(), base)]);
        for (language, files) in BUILT_IN_TRANSLATIONS {
            for (name, text) in *files {
                match parse_lesson(name, text, &format!("(built in) {language}/{name}.toml")) {
                    Ok(lesson) => {
                        by_language.entry(language.to_string()).or_default().push(Lesson { language: language.to_string(), ..lesson })
                    }
                    Err(error) => errors.push(error),
                }
            }
        }
        Self { by_language, errors, folder: None }
    }

    /// The lessons folder's if there is one, else the built-in ones.
    pub fn available() -> Self {
        lessons_dir().map_or_else(Self::built_in, |dir| Self::load(&dir))
    }

    /// The languages lessons are written in.
    pub fn languages(&self) -> Vec<&str> {
        self.by_language.keys().map(String::as_str).collect()
    }

    /// The lessons of `language` (exactly, or by its first part: `zh` for
    /// `zh-CN`) if there are any.
    fn of(&self, language: &str) -> Option<&Vec<Lesson>> {
        let primary = |tag: &str| tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        self.by_language
            .get(language)
            .or_else(|| self.by_language.iter().find(|(tag, _)| primary(tag) == primary(language)).map(|(_, lessons)| lessons))
    }

    /// Every lesson, in file-name order, each in `language` where it is
    /// written in it, else in English, else in the first language it has
    /// (its `language` says which). The list is the same for every
    /// language, so a lesson's place in it does not change with the
    /// language.
    pub fn in_language(&self, language: &str) -> Vec<Lesson> {
        let names: std::collections::BTreeSet<&str> = self.by_language.values().flatten().map(|l| l.name.as_str()).collect();
        let find = |lessons: Option<&Vec<Lesson>>, name: &str| lessons.and_then(|ls| ls.iter().find(|l| l.name == name)).cloned();
        names
            .into_iter()
            .filter_map(|name| {
                find(self.of(language), name)
                    .or_else(|| find(self.by_language.get(BASE_LANGUAGE), name))
                    .or_else(|| self.by_language.values().find_map(|lessons| find(Some(lessons), name)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "A lesson"
summary = "What it shows."
[[steps]]
title = "Start"
preset = "playground"
play = true
watch = "the tiles"
expect = "a circle"
why = "because"
[[steps]]
title = "Change"
set = ["network.init=he-normal", "network.hidden=[3]"]
watch = "again"
change = "the init"
expect = "more"
why = "because"
"#;

    #[test]
    fn steps_inherit_and_override_settings() {
        let lesson = parse_lesson("a", GOOD, "a.toml").unwrap();
        assert_eq!(lesson.steps.len(), 2);
        assert!(lesson.steps[0].play);
        assert_eq!(lesson.steps[1].config.network.hidden, vec![3]);
        assert_eq!(lesson.steps[1].config.data, lesson.steps[0].config.data);
        assert_eq!(lesson.steps[1].config.network.init, crate::nn::Init::HeNormal);
    }

    #[test]
    fn malformed_lessons_name_the_file_and_problem() {
        let problem = |text: &str| parse_lesson("bad", text, "bad.toml").unwrap_err().to_string();
        assert!(problem("title = \"x\"\n").contains("bad.toml"));
        assert!(problem("title = \"x\"\nsummary = \"y\"\nsteps = []\n").contains("no [[steps]]"));
        let bad_preset = GOOD.replace("preset = \"playground\"", "preset = \"nope\"");
        assert!(problem(&bad_preset).contains("step 1") && problem(&bad_preset).contains("nope"));
        let bad_set = GOOD.replace("network.init=he-normal", "network.init=he_normal");
        let message = problem(&bad_set);
        assert!(message.contains("step 2") && message.contains("he_normal"), "{message}");
        let out_of_range = GOOD.replace("network.hidden=[3]", "network.hidden=[0]");
        assert!(problem(&out_of_range).contains("network.hidden[0] = 0"));
        let no_preset = GOOD.replace("preset = \"playground\"\n", "");
        assert!(problem(&no_preset).contains("must name a preset"));
        let typo = GOOD.replace("watch = \"the tiles\"", "wach = \"the tiles\"");
        assert!(problem(&typo).contains("wach"));
    }

    #[test]
    fn checks_are_read_against_their_own_steps_settings() {
        let with_checks = GOOD
            .replace("why = \"because\"\n[[steps]]", "why = \"because\"\nchecks = [\"dead_frac(3) at step 100 > 0.5\"]\n[[steps]]")
            .replace(
                "expect = \"more\"",
                "expect = \"more\"\nseeds = \"3 of 5\"\nchecks = [\"dead_frac(2) at step 100 > 0.5\", \"diverges on 1 of 2 seeds\"]",
            );
        let lesson = parse_lesson("a", &with_checks, "a.toml").unwrap();
        assert_eq!(lesson.steps[0].checks[0].seeds, SeedShare::DEFAULT);
        let second = &lesson.steps[1].checks;
        assert_eq!((second[0].seeds, second[1].seeds), (SeedShare { passes: 3, of: 5 }, SeedShare { passes: 1, of: 2 }));
        // Step 2 has one hidden layer: layer 3 no longer exists there.
        let moved = with_checks.replace("dead_frac(2) at step 100", "dead_frac(3) at step 100");
        let message = parse_lesson("bad", &moved, "bad.toml").unwrap_err().to_string();
        for part in ["bad.toml", "step 2 (Change)", "check \"dead_frac(3) at step 100 > 0.5\"", "2 such layers"] {
            assert!(message.contains(part), "{part}: {message}");
        }
        let bad_share = with_checks.replace("3 of 5", "three of five");
        let message = parse_lesson("bad", &bad_share, "bad.toml").unwrap_err().to_string();
        assert!(message.contains("step 2 (Change): seeds") && message.contains("three of five"), "{message}");
    }

    #[test]
    fn a_bad_file_does_not_stop_the_others() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("1-good.toml"), GOOD).unwrap();
        std::fs::write(dir.path().join("2-broken.toml"), "title = [").unwrap();
        std::fs::write(dir.path().join("3-good.toml"), GOOD).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let (lessons, errors) = load_lessons(dir.path());
        assert_eq!(lessons.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), vec!["1-good", "3-good"]);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].file.ends_with("2-broken.toml"));
    }
}
