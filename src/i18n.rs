//! The app's words in the user's language: Fluent catalogues
//! (`assets/i18n/<language>/*.ftl`), English and Simplified Chinese built
//! in (so the web page has them), more languages, or corrections to the
//! built-in ones, read from the assets folder at start on native builds.
//! A message a catalogue lacks falls back to English; a message no
//! catalogue has shows its id (and the completeness test fails).
//!
//! Plurals come from CLDR (through fluent-bundle); numbers are formatted
//! by [`format_number`] with the language's separators, because
//! fluent-bundle 0.16 parses `NUMBER()`'s options but applies only
//! `minimumFractionDigits` itself. The command line stays in English: its
//! output is for scripts and logs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::types::{FluentNumber, FluentNumberStyle};
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use intl_memoizer::Memoizable;
use unic_langid::LanguageIdentifier;

pub use fluent_bundle::FluentArgs as Args;

/// The language every other falls back to, and the one the lessons'
/// base files are written in.
pub const FALLBACK: &str = "en-US";

/// The catalogue files, the same names in every language (a language may
/// have fewer, or more).
macro_rules! catalogues {
    ($($lang:literal: [$($file:literal),+ $(,)?]),+ $(,)?) => {
        &[$(($lang, &[$(($file, include_str!(concat!("../assets/i18n/", $lang, "/", $file)))),+])),+]
    };
}

/// The catalogues compiled into the program: (language, [(file, text)]).
pub const BUILT_IN: &[(&str, &[(&str, &str)])] = catalogues! {
    "en-US": ["app.ftl", "run-bar.ftl", "controls.ftl", "charts.ftl", "network.ftl", "digits.ftl", "inspector.ftl",
              "lessons.ftl", "replicas.ftl", "files.ftl", "step.ftl", "waves.ftl", "chaos.ftl", "presets.ftl"],
    "zh-CN": ["app.ftl", "run-bar.ftl", "controls.ftl", "charts.ftl", "network.ftl", "digits.ftl", "inspector.ftl",
              "lessons.ftl", "replicas.ftl", "files.ftl", "step.ftl", "waves.ftl", "chaos.ftl", "presets.ftl"],
};

/// The largest catalogue file read from the assets folder.
const MAX_CATALOGUE_BYTES: u64 = 1 << 20;

type Bundle = FluentBundle<Arc<FluentResource>>;

/// A catalogue that could not be (fully) used: the rest still is.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct CatalogueError {
    pub file: String,
    pub problem: String,
}

/// Every language's catalogues, and the bundles of the chosen language
/// followed by its fallbacks (English last).
pub struct Localizer {
    sources: BTreeMap<LanguageIdentifier, Vec<Arc<FluentResource>>>,
    chain: Vec<Bundle>,
    chosen: LanguageIdentifier,
}

impl std::fmt::Debug for Localizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Localizer").field("chosen", &self.chosen).field("languages", &self.sources.keys().collect::<Vec<_>>()).finish()
    }
}

fn fallback() -> LanguageIdentifier {
    FALLBACK.parse().expect("the fallback language's tag parses")
}

/// Parses one catalogue; a partly broken file keeps its good messages.
fn parse(file: &str, text: String, problems: &mut Vec<CatalogueError>) -> Arc<FluentResource> {
    match FluentResource::try_new(text) {
        Ok(resource) => Arc::new(resource),
        Err((resource, errors)) => {
            for error in errors {
                problems.push(CatalogueError { file: file.to_string(), problem: error.to_string() });
            }
            Arc::new(resource)
        }
    }
}

impl Localizer {
    /// The built-in catalogues, in `languages`' best match (English if
    /// none matches).
    pub fn built_in(languages: &[String]) -> (Self, Vec<CatalogueError>) {
        let mut problems = Vec::new();
        let mut sources: BTreeMap<LanguageIdentifier, Vec<Arc<FluentResource>>> = BTreeMap::new();
        for (lang, files) in BUILT_IN {
            let id: LanguageIdentifier = lang.parse().expect("a built-in language's tag parses");
            for (name, text) in *files {
                let resource = parse(&format!("(built in) {lang}/{name}"), (*text).to_string(), &mut problems);
                sources.entry(id.clone()).or_default().push(resource);
            }
        }
        let mut localizer = Self { sources, chain: Vec::new(), chosen: fallback() };
        localizer.select(languages);
        (localizer, problems)
    }

    /// Adds `dir/<language>/*.ftl`: a new language is a new folder, and a
    /// file for a built-in language overrides its messages one by one.
    /// Keeps the chosen language (re-select to pick a new one).
    pub fn add_folder(&mut self, dir: &Path) -> Vec<CatalogueError> {
        let mut problems = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else { return problems };
        let mut folders: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
        folders.sort();
        for folder in folders {
            let name = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let Ok(id) = name.parse::<LanguageIdentifier>() else {
                problems.push(CatalogueError {
                    file: folder.display().to_string(),
                    problem: format!("\"{name}\" is not a language tag (such as en-US, zh-CN, fr)"),
                });
                continue;
            };
            let mut files: Vec<PathBuf> = match std::fs::read_dir(&folder) {
                Ok(files) => files.flatten().map(|f| f.path()).filter(|p| p.extension().is_some_and(|x| x == "ftl")).collect(),
                Err(error) => {
                    problems.push(CatalogueError { file: folder.display().to_string(), problem: error.to_string() });
                    continue;
                }
            };
            files.sort();
            for path in files {
                let file = path.display().to_string();
                match crate::files::read_text_capped(&path, MAX_CATALOGUE_BYTES) {
                    Ok(text) => {
                        let resource = parse(&file, text, &mut problems);
                        self.sources.entry(id.clone()).or_default().push(resource);
                    }
                    Err(error) => problems.push(CatalogueError { file, problem: error.to_string() }),
                }
            }
        }
        let chosen = self.chosen.to_string();
        self.select(&[chosen]);
        problems
    }

    /// The languages there are catalogues for.
    pub fn languages(&self) -> Vec<String> {
        self.sources.keys().map(ToString::to_string).collect()
    }

    /// The language the words are in now.
    pub fn language(&self) -> String {
        self.chosen.to_string()
    }

    /// Every language there are catalogues for, each named in itself (its
    /// own `language-name`, else its tag): a reader looks for their own
    /// language's name, not its name in the language on screen.
    pub fn language_names(&self) -> Vec<(String, String)> {
        self.sources
            .keys()
            .map(|lang| {
                let bundle = self.bundle(lang);
                let name = bundle
                    .get_message("language-name")
                    .and_then(|message| message.value())
                    .map(|pattern| bundle.format_pattern(pattern, None, &mut Vec::new()).into_owned());
                (lang.to_string(), name.unwrap_or_else(|| lang.to_string()))
            })
            .collect()
    }

    /// The chosen language's short name, for a narrow switch: its own
    /// `language-short`, else its tag's first part in capitals.
    pub fn language_short(&self) -> String {
        let own = self.chain.first().and_then(|bundle| {
            let pattern = bundle.get_message("language-short")?.value()?;
            Some(bundle.format_pattern(pattern, None, &mut Vec::new()).into_owned())
        });
        own.unwrap_or_else(|| self.chosen.language.as_str().to_uppercase())
    }

    /// Picks the best language for `requested` (most wanted first; tags
    /// such as `zh`, `zh_CN.UTF-8` or `zh-Hans-CN` all find zh-CN) and
    /// returns it; English when none matches.
    pub fn select(&mut self, requested: &[String]) -> String {
        let requested: Vec<LanguageIdentifier> = requested.iter().filter_map(|tag| parse_tag(tag)).collect();
        let available: Vec<LanguageIdentifier> = self.sources.keys().cloned().collect();
        let default = fallback();
        let matched =
            fluent_langneg::negotiate_languages(&requested, &available, Some(&default), fluent_langneg::NegotiationStrategy::Filtering);
        let mut order: Vec<LanguageIdentifier> = matched.into_iter().cloned().collect();
        if !order.contains(&default) {
            order.push(default);
        }
        self.chain = order.iter().map(|lang| self.bundle(lang)).collect();
        self.chosen = order[0].clone();
        self.language()
    }

    fn bundle(&self, lang: &LanguageIdentifier) -> Bundle {
        let mut bundle = Bundle::new_concurrent(vec![lang.clone()]);
        // Unicode isolation marks around every argument: egui has no glyph
        // for them and would draw boxes.
        bundle.set_use_isolating(false);
        bundle.add_builtins().expect("NUMBER is registered once");
        bundle.set_formatter(Some(format_number));
        for resource in self.sources.get(lang).into_iter().flatten() {
            bundle.add_resource_overriding(Arc::clone(resource));
        }
        bundle
    }

    /// The message `id` in the chosen language, or the first fallback
    /// that has it, or the id itself.
    pub fn tr(&self, id: &str, args: Option<&FluentArgs>) -> String {
        for bundle in &self.chain {
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return bundle.format_pattern(pattern, args, &mut errors).into_owned();
            }
        }
        id.to_string()
    }

    /// Whether some catalogue of the chosen language or its fallbacks has
    /// the message `id`.
    pub fn has(&self, id: &str) -> bool {
        self.chain.iter().any(|bundle| bundle.has_message(id))
    }

    /// The ids of the messages and terms of `language`'s catalogues.
    pub fn message_ids(&self, language: &str) -> BTreeSet<String> {
        use fluent_syntax::ast::Entry;
        let mut ids = BTreeSet::new();
        let Some(lang) = parse_tag(language) else { return ids };
        for resource in self.sources.get(&lang).into_iter().flatten() {
            for entry in resource.entries() {
                match entry {
                    Entry::Message(message) => {
                        ids.insert(message.id.name.to_string());
                    }
                    Entry::Term(term) => {
                        ids.insert(format!("-{}", term.id.name));
                    }
                    _ => {}
                }
            }
        }
        ids
    }
}

/// A language tag as people and systems write it: `zh_CN.UTF-8` is zh-CN.
fn parse_tag(tag: &str) -> Option<LanguageIdentifier> {
    let tag = tag.split(['.', '@']).next()?.replace('_', "-");
    tag.parse().ok()
}

/// `tr!(l, "id")`, `tr!(l, "id", count = n, name = text)`: the message as
/// a `String`. Numbers go in as numbers (the catalogue formats them).
#[macro_export]
macro_rules! tr {
    ($l:expr, $id:literal) => {
        $l.tr($id, None)
    };
    ($l:expr, $id:literal, $($key:ident = $value:expr),+ $(,)?) => {{
        let mut args = $crate::i18n::Args::new();
        $( args.set(stringify!($key), $crate::i18n::arg($value)); )+
        $l.tr($id, Some(&args))
    }};
}

/// Turns a Rust value into a Fluent argument: numbers stay numbers (so
/// plurals and `NUMBER()` work), text is text.
pub fn arg<'a>(value: impl IntoArg<'a>) -> FluentValue<'a> {
    value.into_arg()
}

pub trait IntoArg<'a> {
    fn into_arg(self) -> FluentValue<'a>;
}

macro_rules! number_args {
    ($($t:ty),+) => {$(
        impl<'a> IntoArg<'a> for $t {
            fn into_arg(self) -> FluentValue<'a> {
                FluentValue::from(self as f64)
            }
        }
    )+};
}
number_args!(f32, f64, u8, u16, u32, u64, usize, i32, i64);

impl<'a> IntoArg<'a> for &'a str {
    fn into_arg(self) -> FluentValue<'a> {
        FluentValue::from(self)
    }
}

impl<'a> IntoArg<'a> for String {
    fn into_arg(self) -> FluentValue<'a> {
        FluentValue::from(self)
    }
}

impl<'a> IntoArg<'a> for &'a String {
    fn into_arg(self) -> FluentValue<'a> {
        FluentValue::from(self.as_str())
    }
}

/// The separators of one language (memoized per bundle).
struct NumberSymbols {
    decimal: &'static str,
    group: &'static str,
    percent_space: bool,
}

impl Memoizable for NumberSymbols {
    type Args = ();
    type Error = ();
    fn construct(lang: LanguageIdentifier, _: ()) -> Result<Self, ()> {
        // English and Chinese write 1,234.5 and 12%. A language added with
        // other conventions gets its arm here.
        Ok(match lang.language.as_str() {
            "de" | "es" | "it" | "nl" | "pt" | "id" | "tr" => {
                Self { decimal: ",", group: ".", percent_space: lang.language.as_str() == "de" }
            }
            "fr" | "ru" | "uk" | "pl" | "cs" | "sv" | "fi" | "nb" => Self { decimal: ",", group: "\u{202F}", percent_space: true },
            _ => Self { decimal: ".", group: ",", percent_space: false },
        })
    }
}

/// `NUMBER()` and plain numeric arguments: fraction digits (ICU's
/// defaults, 0 to 3, or 0 for percent), grouping, percent, the minus sign
/// and infinity as the app writes them.
fn format_number(value: &FluentValue, intls: &intl_memoizer::concurrent::IntlLangMemoizer) -> Option<String> {
    let FluentValue::Number(FluentNumber { value, options }) = value else { return None };
    let percent = options.style == FluentNumberStyle::Percent;
    let v = if percent { value * 100.0 } else { *value };
    if !v.is_finite() {
        return Some(if v.is_nan() {
            "NaN".into()
        } else if v > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        });
    }
    let min = options.minimum_fraction_digits.unwrap_or(0);
    let max = options.maximum_fraction_digits.unwrap_or(if percent { 0 } else { 3 }).max(min);
    let mut digits = format!("{:.*}", max, v.abs());
    if let Some(dot) = digits.find('.') {
        let keep = dot + 1 + min;
        while digits.len() > keep && digits.ends_with('0') {
            digits.pop();
        }
        if digits.ends_with('.') {
            digits.pop();
        }
    }
    let (int, frac) = match digits.split_once('.') {
        Some((int, frac)) => (int.to_string(), Some(frac.to_string())),
        None => (digits, None),
    };
    let negative = v < 0.0 && (int.bytes().any(|c| c != b'0') || frac.as_ref().is_some_and(|f| f.bytes().any(|c| c != b'0')));
    intls
        .with_try_get::<NumberSymbols, _, _>((), |symbols| {
            let mut out = String::new();
            if negative {
                out.push('−');
            }
            let count = int.len();
            for (i, c) in int.chars().enumerate() {
                if options.use_grouping && i > 0 && (count - i) % 3 == 0 {
                    out.push_str(symbols.group);
                }
                out.push(c);
            }
            if let Some(frac) = &frac {
                out.push_str(symbols.decimal);
                out.push_str(frac);
            }
            if percent {
                if symbols.percent_space {
                    out.push('\u{A0}');
                }
                out.push('%');
            }
            out
        })
        .ok()
}

/// The languages the user asked for, most wanted first: `--lang`, then
/// `EMERGENCE_LAB_LANG`, then the system's (natively) or the browser's
/// (on the web) preferred languages.
pub fn requested_languages(cli: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = cli.map(str::to_string).into_iter().collect();
    #[cfg(not(target_arch = "wasm32"))]
    {
        if let Ok(lang) = std::env::var("EMERGENCE_LAB_LANG")
            && !lang.trim().is_empty()
        {
            out.push(lang);
        }
        out.extend(sys_locale::get_locales());
    }
    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    if let Some(navigator) = web_sys::window().map(|w| w.navigator()) {
        out.extend(navigator.languages().iter().filter_map(|v| v.as_string()));
        out.extend(navigator.language());
    }
    out
}

/// Where the catalogues folder is: `$EMERGENCE_LAB_ASSETS/i18n`, then
/// `assets/i18n` in the working directory, next to the executable, or in
/// the source tree.
pub fn catalogues_dir() -> Option<PathBuf> {
    crate::files::assets_subdir("i18n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn localizer(lang: &str) -> Localizer {
        let (localizer, problems) = Localizer::built_in(&[lang.to_string()]);
        assert!(problems.is_empty(), "{problems:?}");
        localizer
    }

    #[test]
    fn system_tags_find_the_catalogue() {
        for tag in ["zh", "zh_CN.UTF-8", "zh-Hans-CN", "zh-CN"] {
            assert_eq!(localizer(tag).language(), "zh-CN", "{tag}");
        }
        for tag in ["en_GB.UTF-8", "de-DE", "C", "", "not a tag"] {
            assert_eq!(localizer(tag).language(), "en-US", "{tag}");
        }
    }

    #[test]
    fn numbers_and_plurals_come_from_the_catalogue_language() {
        let mut resource_text = String::from("n = { NUMBER($x, maximumFractionDigits: 2) }\n");
        resource_text.push_str("p = { NUMBER($x, style: \"percent\", maximumFractionDigits: 1) }\n");
        resource_text.push_str("c = { $n ->\n    [one] one thing\n   *[other] { $n } things\n}\n");
        let mut l = localizer("en-US");
        l.sources.get_mut(&fallback()).unwrap().push(Arc::new(FluentResource::try_new(resource_text).unwrap()));
        l.select(&["en-US".into()]);
        assert_eq!(tr!(l, "n", x = 1234.5678), "1,234.57");
        assert_eq!(tr!(l, "n", x = -0.001), "0");
        assert_eq!(tr!(l, "n", x = -2.5f32), "−2.5");
        assert_eq!(tr!(l, "n", x = f64::NAN), "NaN");
        assert_eq!(tr!(l, "p", x = 0.97345), "97.3%");
        assert_eq!(tr!(l, "c", n = 1), "one thing");
        assert_eq!(tr!(l, "c", n = 12345), "12,345 things");
        assert_eq!(tr!(l, "no-such-message"), "no-such-message");
    }

    #[test]
    fn a_folder_adds_a_language_and_overrides_messages() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("fr")).unwrap();
        std::fs::write(dir.path().join("fr/app.ftl"), "language-name = Français\n").unwrap();
        std::fs::create_dir_all(dir.path().join("zh-CN")).unwrap();
        std::fs::write(dir.path().join("zh-CN/fix.ftl"), "language-name = 简体中文（修订）\nbroken = {\n").unwrap();
        std::fs::create_dir_all(dir.path().join("not a tag!")).unwrap();
        let mut l = localizer("zh-CN");
        let problems = l.add_folder(dir.path());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.file.ends_with("fix.ftl")), "{problems:?}");
        assert!(problems.iter().any(|p| p.problem.contains("not a tag!")), "{problems:?}");
        assert_eq!(tr!(l, "language-name"), "简体中文（修订）");
        assert_eq!(l.select(&["fr-CA".into()]), "fr");
        assert_eq!(tr!(l, "language-name"), "Français");
        assert_eq!(l.language_short(), "FR");
        let names = l.language_names();
        assert!(names.contains(&("fr".into(), "Français".into())) && names.contains(&("en-US".into(), "English".into())), "{names:?}");
        // What French lacks comes from English.
        assert_eq!(tr!(l, "app-title"), localizer("en-US").tr("app-title", None));
    }
}
