//! The app in every language it ships: every message in every catalogue,
//! with the same arguments; every message the code asks for exists; every
//! character of the catalogues and the shipped lessons is drawn by the
//! shipped fonts; the translated lessons run exactly the English ones'
//! settings and checks; the Chinese uses the glossary's terms.
#![cfg(feature = "gui")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use emergence_lab::i18n::{BUILT_IN, FALLBACK, Localizer};
use emergence_lab::lessons::{BASE_LANGUAGE, LessonLibrary, load_lessons};
use fluent_syntax::ast;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every message and term of a language's built-in catalogues, with the
/// variables it uses.
fn variables_by_message(language: &str) -> BTreeMap<String, BTreeSet<String>> {
    let (_, files) = BUILT_IN.iter().find(|(lang, _)| *lang == language).expect("a built-in language");
    let mut out = BTreeMap::new();
    for (file, text) in *files {
        let resource = fluent_syntax::parser::parse(*text).unwrap_or_else(|(_, errors)| panic!("{language}/{file}: {errors:?}"));
        for entry in resource.body {
            let (id, pattern) = match entry {
                ast::Entry::Message(message) => (message.id.name.to_string(), message.value),
                ast::Entry::Term(term) => (format!("-{}", term.id.name), Some(term.value)),
                _ => continue,
            };
            let mut variables = BTreeSet::new();
            if let Some(pattern) = &pattern {
                collect_variables(pattern, &mut variables);
            }
            assert!(out.insert(id.clone(), variables).is_none(), "{language}/{file}: {id} is defined twice");
        }
    }
    out
}

fn collect_variables(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            collect_expression(expression, out);
        }
    }
}

fn collect_expression(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Select { selector, variants } => {
            collect_inline(selector, out);
            for variant in variants {
                collect_variables(&variant.value, out);
            }
        }
        ast::Expression::Inline(inline) => collect_inline(inline, out),
    }
}

fn collect_inline(inline: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_string());
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for argument in &arguments.positional {
                collect_inline(argument, out);
            }
        }
        ast::InlineExpression::Placeable { expression } => collect_expression(expression, out),
        _ => {}
    }
}

#[test]
fn every_message_is_in_every_language_with_the_same_arguments() {
    let english = variables_by_message(FALLBACK);
    assert!(english.len() > 100, "only {} English messages", english.len());
    for (language, _) in BUILT_IN.iter().filter(|(lang, _)| *lang != FALLBACK) {
        let other = variables_by_message(language);
        let missing: Vec<&String> = english.keys().filter(|id| !other.contains_key(*id)).collect();
        let extra: Vec<&String> = other.keys().filter(|id| !english.contains_key(*id)).collect();
        assert!(missing.is_empty(), "{language} lacks {missing:?}");
        assert!(extra.is_empty(), "{language} has messages English lacks: {extra:?}");
        for (id, variables) in &english {
            assert_eq!(&other[id], variables, "{language}: {id} uses other arguments than English");
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The message ids the code asks for: the literal after `tr!(<expr>, `.
fn ids_in_code() -> BTreeMap<String, String> {
    let mut files = Vec::new();
    rust_files(&repo().join("src"), &mut files);
    let mut ids = BTreeMap::new();
    // The module itself (its tests use their own messages).
    for file in files.into_iter().filter(|f| !f.ends_with("src/i18n.rs")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("tr!(") {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            if text[line_start..at].trim_start().starts_with("//") {
                continue;
            }
            let rest = &text[at + 4..];
            // Skip the localizer expression: up to the first comma outside
            // brackets.
            let mut depth = 0i32;
            let Some(comma) = rest.char_indices().find_map(|(i, c)| {
                match c {
                    '(' | '[' => depth += 1,
                    ')' | ']' => depth -= 1,
                    ',' if depth == 0 => return Some(i),
                    _ => {}
                }
                None
            }) else {
                continue;
            };
            let after = rest[comma + 1..].trim_start();
            if let Some(literal) = after.strip_prefix('"') {
                let id = &literal[..literal.find('"').unwrap()];
                ids.insert(id.to_string(), file.strip_prefix(repo()).unwrap().display().to_string());
            }
        }
    }
    ids
}

#[test]
fn every_message_the_code_asks_for_exists() {
    let english = variables_by_message(FALLBACK);
    let asked = ids_in_code();
    assert!(asked.len() > 100, "only {} messages asked for in the code", asked.len());
    let missing: Vec<String> =
        asked.iter().filter(|(id, _)| !english.contains_key(*id)).map(|(id, file)| format!("{id} ({file})")).collect();
    assert!(missing.is_empty(), "asked for but in no catalogue: {missing:?}");
}

/// Characters of `text` a font must draw (not line breaks and tabs).
fn drawn_characters(text: &str, out: &mut BTreeMap<char, String>, origin: &str) {
    for c in text.chars().filter(|c| !c.is_control()) {
        out.entry(c).or_insert_with(|| origin.to_string());
    }
}

#[test]
fn the_shipped_fonts_draw_every_character_of_the_catalogues_and_lessons() {
    use skrifa::MetadataProvider;
    let mut wanted = BTreeMap::new();
    for (language, files) in BUILT_IN {
        for (file, text) in *files {
            // Comments are not drawn.
            let drawn: String = text.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
            drawn_characters(&drawn, &mut wanted, &format!("{language}/{file}"));
        }
    }
    let mut lesson_files = Vec::new();
    let lessons = repo().join("assets/lessons");
    for entry in std::fs::read_dir(&lessons).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            lesson_files.extend(std::fs::read_dir(&path).unwrap().flatten().map(|e| e.path()));
        } else {
            lesson_files.push(path);
        }
    }
    for path in lesson_files.iter().filter(|p| p.extension().is_some_and(|e| e == "toml")) {
        drawn_characters(&std::fs::read_to_string(path).unwrap(), &mut wanted, &path.display().to_string());
    }
    assert!(wanted.keys().any(|c| ('\u{4e00}'..='\u{9fff}').contains(c)), "no Chinese found");

    let fonts = emergence_lab::app::language::font_definitions();
    let family = &fonts.families[&bevy_egui::egui::FontFamily::Proportional];
    let maps: Vec<(String, Vec<char>)> = family
        .iter()
        .map(|name| {
            let data = &fonts.font_data[name];
            let font = skrifa::FontRef::from_index(&data.font, data.index).unwrap_or_else(|e| panic!("{name}: {e}"));
            let charmap = font.charmap();
            (name.clone(), wanted.keys().copied().filter(|&c| charmap.map(c).is_some()).collect())
        })
        .collect();
    let missing: Vec<String> = wanted
        .iter()
        .filter(|(c, _)| !maps.iter().any(|(_, covered)| covered.contains(c)))
        .map(|(c, origin)| format!("{c:?} U+{:04X} (first in {origin})", *c as u32))
        .collect();
    assert!(missing.is_empty(), "no shipped font draws: {missing:?}; re-run assets/fonts/subset.sh");
}

#[test]
fn translated_lessons_run_exactly_the_english_settings_and_checks() {
    let library = LessonLibrary::load(&repo().join("assets/lessons"));
    assert!(library.errors.is_empty(), "{:?}", library.errors);
    let (english, _) = load_lessons(&repo().join("assets/lessons"));
    for language in library.languages().into_iter().filter(|l| *l != BASE_LANGUAGE) {
        let translated = library.in_language(language);
        let mut count = 0;
        for lesson in translated.iter().filter(|l| l.language == language) {
            count += 1;
            let original =
                english.iter().find(|l| l.name == lesson.name).unwrap_or_else(|| panic!("{language}/{}: no English", lesson.name));
            assert_eq!(lesson.steps.len(), original.steps.len(), "{language}/{}", lesson.name);
            for (index, (step, base)) in lesson.steps.iter().zip(&original.steps).enumerate() {
                let at = format!("{language}/{} step {}", lesson.name, index + 1);
                assert_eq!(step.config, base.config, "{at}: settings");
                assert_eq!(step.checks, base.checks, "{at}: checks");
                assert_eq!((step.play, step.slow), (base.play, base.slow), "{at}");
                assert_ne!(step.why, base.why, "{at}: not translated");
            }
        }
        assert_eq!(count, english.len(), "{language}: every lesson is translated");
    }
    // The built-in copies are the files.
    let built_in = LessonLibrary::built_in();
    assert!(built_in.errors.is_empty(), "{:?}", built_in.errors);
    assert_eq!(built_in.in_language("zh-CN"), library.in_language("zh-CN"));
}

#[test]
fn a_lesson_missing_in_a_language_is_shown_in_english_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let lessons = repo().join("assets/lessons");
    for name in ["01-features-emerge.toml", "04-symmetry.toml"] {
        std::fs::copy(lessons.join(name), dir.path().join(name)).unwrap();
    }
    std::fs::create_dir(dir.path().join("zh-CN")).unwrap();
    std::fs::copy(lessons.join("zh-CN/04-symmetry.toml"), dir.path().join("zh-CN/04-symmetry.toml")).unwrap();
    // A lesson written in Chinese only.
    std::fs::copy(lessons.join("zh-CN/01-features-emerge.toml"), dir.path().join("zh-CN/99-only-chinese.toml")).unwrap();
    let library = LessonLibrary::load(dir.path());
    let shown =
        |language: &str| -> Vec<(String, String)> { library.in_language(language).into_iter().map(|l| (l.name, l.language)).collect() };
    let pairs = |list: &[(&str, &str)]| list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    assert_eq!(shown("zh-CN"), pairs(&[("01-features-emerge", "en-US"), ("04-symmetry", "zh-CN"), ("99-only-chinese", "zh-CN")]));
    assert_eq!(shown("zh"), shown("zh-CN"));
    assert_eq!(shown("en-US"), pairs(&[("01-features-emerge", "en-US"), ("04-symmetry", "en-US"), ("99-only-chinese", "zh-CN")]));
}

/// Words the glossary (assets/i18n/zh-CN/glossary.md) rules out, each
/// with the term to use: a catalogue or lesson that drifts from the
/// field's standard terms fails here.
const AVOIDED: &[(&str, &str)] = &[
    ("均质化", "同质化"),
    ("泽维尔", "Xavier"),
    ("何初始化", "He 初始化"),
    ("随机失活", "丢弃法"),
    ("批标准化", "批量归一化"),
    ("过度拟合", "过拟合"),
    ("一位有效编码", "独热编码"),
    ("混沌边界", "混沌边缘"),
    ("均场理论", "平均场理论"),
    ("深度标度", "深度尺度"),
    ("余弦相似性", "余弦相似度"),
    ("稠密层", "全连接层"),
    ("多层感知器", "多层感知机"),
    ("权值", "权重"),
    ("激励函数", "激活函数"),
    ("死神经元", "死亡神经元"),
    ("梯度截断", "梯度裁剪"),
    ("批大小", "批量大小"),
    ("最优化器", "优化器"),
    ("冲量", "动量"),
    ("噪音", "噪声"),
    ("分界线", "决策边界"),
    ("过滤器", "卷积核"),
    ("滤波器", "卷积核"),
    ("特征映射", "特征图"),
    ("最大汇聚", "最大池化"),
    ("接受域", "感受野"),
    ("画布", "画板"),
    ("隐含层", "隐藏层"),
    ("您", "你"),
];

#[test]
fn the_chinese_uses_the_glossarys_terms() {
    let mut texts: Vec<(String, String)> = Vec::new();
    let (_, files) = BUILT_IN.iter().find(|(lang, _)| *lang == "zh-CN").unwrap();
    texts.extend(files.iter().map(|(file, text)| (format!("zh-CN/{file}"), text.to_string())));
    for entry in std::fs::read_dir(repo().join("assets/lessons/zh-CN")).unwrap().flatten() {
        texts.push((entry.path().display().to_string(), std::fs::read_to_string(entry.path()).unwrap()));
    }
    let mut found = Vec::new();
    for (file, text) in &texts {
        for (avoided, used) in AVOIDED {
            // 平均场理论 contains 均场理论.
            if text.replace(used, "").contains(avoided) {
                found.push(format!("{file}: \"{avoided}\" (the glossary says \"{used}\")"));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_language_is_chosen_from_the_request_and_falls_back_to_english() {
    let (zh, problems) = Localizer::built_in(&["fr-FR".into(), "zh_CN.UTF-8".into()]);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(zh.language(), "zh-CN");
    assert_eq!(emergence_lab::tr!(zh, "language-name"), "简体中文");
    let (en, _) = Localizer::built_in(&["de".into()]);
    assert_eq!(en.language(), "en-US");
    assert_eq!(emergence_lab::tr!(en, "language-name"), "English");
}

#[test]
fn every_preset_is_described_in_every_language() {
    let (english, _) = Localizer::built_in(&["en-US".into()]);
    for (language, _) in BUILT_IN {
        let (words, _) = Localizer::built_in(&[language.to_string()]);
        for preset in emergence_lab::config::PRESETS {
            let id = format!("preset-{}", preset.name);
            assert!(words.message_ids(language).contains(&id), "{language} lacks {id}");
        }
    }
    // The English catalogue says what the preset files say.
    for preset in emergence_lab::config::PRESETS {
        assert_eq!(english.tr(&format!("preset-{}", preset.name), None), preset.description(), "{}", preset.name);
    }
}

/// The switch in the run bar: the words and the lessons change language,
/// each lesson keeping its place in the list.
#[test]
fn switching_language_changes_the_words_and_the_lessons() {
    use bevy::prelude::*;
    use emergence_lab::app::classroom::Lessons;
    use emergence_lab::app::schedule::SchedulePlugin;
    use emergence_lab::app::{ChooseLanguage, LanguagePlugin, Words};

    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .add_plugins(SchedulePlugin)
        .insert_resource(Lessons::new(LessonLibrary::built_in(), BASE_LANGUAGE))
        .add_plugins(LanguagePlugin { requested: vec!["en-US".into()], named: None });
    app.update();
    let names = |app: &App| app.world().resource::<Lessons>().lessons.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
    let before = names(&app);
    assert_eq!(app.world().resource::<Words>().language(), "en-US");
    app.world_mut().write_message(ChooseLanguage("zh-CN".into()));
    app.update();
    assert_eq!(app.world().resource::<Words>().language(), "zh-CN");
    assert_eq!(emergence_lab::tr!(app.world().resource::<Words>(), "language-name"), "简体中文");
    assert_eq!(names(&app), before, "each lesson keeps its place");
    assert!(app.world().resource::<Lessons>().lessons.iter().all(|l| l.language == "zh-CN"));
    // A language there is no catalogue for: English, and the session goes on.
    app.world_mut().write_message(ChooseLanguage("tlh".into()));
    app.update();
    assert_eq!(app.world().resource::<Words>().language(), "en-US");
}

/// `--lang` naming a language there are no words for: the app opens in
/// English and a notice names what was asked and what there is.
#[test]
fn a_language_without_a_catalogue_is_named_in_a_notice() {
    use bevy::prelude::*;
    use emergence_lab::app::classroom::Lessons;
    use emergence_lab::app::schedule::SchedulePlugin;
    use emergence_lab::app::{LanguagePlugin, Notice, Words};

    let open = |named: &str| {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .add_plugins(SchedulePlugin)
            .insert_resource(Lessons::new(LessonLibrary::built_in(), BASE_LANGUAGE))
            .add_plugins(LanguagePlugin { requested: vec![named.into()], named: Some(named.into()) });
        app.update();
        (app.world().resource::<Words>().language(), app.world().get_resource::<Notice>().and_then(|n| n.message.clone()))
    };
    let (language, notice) = open("tlh");
    assert_eq!(language, "en-US");
    let notice = notice.expect("a notice");
    assert!(notice.contains("\"tlh\"") && notice.contains("the app is in en-US") && notice.contains("zh-CN"), "{notice}");
    assert_eq!(open("zh_CN.UTF-8"), ("zh-CN".to_string(), None));
    assert_eq!(open("en").1, None);
}
