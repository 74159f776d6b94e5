//! The app's language: the catalogues' words (`Words`), the fonts that draw
//! them (egui's own first, so English looks as it always did, then a CJK
//! font for Chinese), and switching language while the app runs (the
//! lessons follow).

use std::sync::Arc;

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::classroom::Lessons;
use super::schedule::{DrawSet, LabSet};
use super::session::Notice;
use crate::i18n::Localizer;

/// Noto Sans CJK SC, subset to the characters the catalogues, the lessons
/// and the 3,755 most common hanzi need (`assets/fonts/subset.sh`; OFL,
/// `assets/fonts/OFL.txt`).
pub const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKsc-Regular-subset.otf");
const CJK_FONT_NAME: &str = "noto-sans-cjk-sc";

/// The app's fonts: egui's defaults, then the CJK font as the last
/// fallback of both families, for the catalogues and for text a user
/// types (a lesson, a file name).
pub fn font_definitions() -> egui::FontDefinitions {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(CJK_FONT_NAME.to_string(), Arc::new(egui::FontData::from_static(CJK_FONT)));
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push(CJK_FONT_NAME.to_string());
    }
    fonts
}

/// The words of the chosen language.
#[derive(Resource, Debug, Deref)]
pub struct Words(pub Localizer);

/// English, for plugins used without [`LanguagePlugin`] (tests); the
/// plugin replaces it with the language asked for.
impl Default for Words {
    fn default() -> Self {
        Self(Localizer::built_in(&[]).0)
    }
}

/// Show the app in this language (a tag such as `zh-CN`).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ChooseLanguage(pub String);

pub struct LanguagePlugin {
    /// The languages asked for, most wanted first (`--lang`, the
    /// environment, the system's or the browser's).
    pub requested: Vec<String>,
    /// The one the user named (`--lang`, `?lang=`): if there are no
    /// words for it, a notice says so rather than leaving them to wonder.
    pub named: Option<String>,
}

impl Plugin for LanguagePlugin {
    fn build(&self, app: &mut App) {
        // The web has no catalogue folder to add, so nothing changes them.
        #[cfg_attr(target_arch = "wasm32", allow(unused_mut))]
        let (mut words, mut problems) = Localizer::built_in(&self.requested);
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(dir) = crate::i18n::catalogues_dir() {
            problems.extend(words.add_folder(&dir));
            words.select(&self.requested);
        }
        for problem in &problems {
            warn!("{problem}");
        }
        if let Some(problem) = problems.first() {
            let mut notice = app.world_mut().get_resource_or_insert_with(Notice::default);
            notice.message = Some(crate::tr!(words, "app-catalogue-problem", problem = problem.to_string()));
        }
        let language = words.language();
        let primary = |tag: &str| tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        if let Some(named) = self.named.as_deref().filter(|named| primary(named) != primary(&language)) {
            let languages = words.languages().join(", ");
            let message =
                crate::tr!(words, "app-language-unavailable", language = named, chosen = language.as_str(), languages = languages);
            app.world_mut().get_resource_or_insert_with(Notice::default).message = Some(message);
        }
        if let Some(mut lessons) = app.world_mut().get_resource_mut::<Lessons>() {
            lessons.set_language(&language);
        }
        app.insert_resource(Words(words))
            .add_message::<ChooseLanguage>()
            .add_systems(Update, choose_language.in_set(LabSet::Input))
            .add_systems(EguiPrimaryContextPass, install_fonts.in_set(DrawSet::Theme));
    }
}

fn choose_language(mut requests: MessageReader<ChooseLanguage>, mut words: ResMut<Words>, mut lessons: ResMut<Lessons>) {
    for ChooseLanguage(language) in requests.read() {
        let chosen = words.0.select(std::slice::from_ref(language));
        lessons.set_language(&chosen);
    }
}

fn install_fonts(mut contexts: EguiContexts, mut installed: Local<bool>) -> Result {
    if !*installed {
        contexts.ctx_mut()?.set_fonts(font_definitions());
        *installed = true;
    }
    Ok(())
}
