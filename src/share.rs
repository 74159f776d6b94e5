//! Share links: a setup (the config, and the lesson step if one is open)
//! in a URL's fragment, so a teacher can send a link and every student
//! opens the same run. Compact (only the settings that differ from the
//! defaults, compressed) and versioned (`#v1.` then the payload), so a link
//! from a newer version is recognised and refused with a clear message
//! rather than misread.

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigError, load_config_text};

/// The version this build writes and reads.
pub const LINK_VERSION: u32 = 1;

/// The most a fragment may decompress to: a config is a few hundred bytes.
const MAX_SETUP_BYTES: u64 = 64 << 10;

/// What a link opens.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub config: Config,
    /// A lesson (its file name) and step (from 0) to open.
    pub lesson: Option<(String, usize)>,
    /// The language the link's maker had the app in (a tag such as
    /// `zh-CN`): a class opens the lesson in the language it was set in.
    pub language: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the link holds no Emergence Lab setup (nothing after '#')")]
    Empty,
    #[error("the link was made by a newer Emergence Lab (setup version {found}; this one reads version {LINK_VERSION})")]
    Newer { found: u32 },
    #[error("the link is not an Emergence Lab setup, or it was cut short: {reason}")]
    Garbled { reason: String },
    #[error("the link's settings are invalid: {0}")]
    Config(#[source] Box<ConfigError>),
}

/// The lesson part of a setup.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonPart {
    name: String,
    step: usize,
}

/// Removes from `table` every key whose value equals the one in `defaults`.
fn strip_defaults(table: &mut toml::Table, defaults: &toml::Table) {
    table.retain(|key, value| match (value, defaults.get(key)) {
        (toml::Value::Table(inner), Some(toml::Value::Table(default))) => {
            strip_defaults(inner, default);
            !inner.is_empty()
        }
        (value, Some(default)) => value != default,
        (_, None) => true,
    });
}

/// The fragment (without '#') that opens `setup`.
pub fn encode(setup: &Setup) -> String {
    let mut table: toml::Table = setup.config.to_toml().parse().expect("a config's TOML parses");
    let defaults: toml::Table = Config::default().to_toml().parse().expect("the defaults' TOML parses");
    strip_defaults(&mut table, &defaults);
    if let Some((name, step)) = &setup.lesson {
        let lesson = toml::Table::try_from(LessonPart { name: name.clone(), step: *step }).expect("a lesson part serialises");
        table.insert("lesson".into(), toml::Value::Table(lesson));
    }
    if let Some(language) = &setup.language {
        table.insert("language".into(), toml::Value::String(language.clone()));
    }
    let text = toml::to_string(&table).expect("a table serialises");
    let mut compressed = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    compressed.write_all(text.as_bytes()).expect("writing to memory");
    let bytes = compressed.finish().expect("writing to memory");
    format!("v{LINK_VERSION}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A full link to `setup` on the page at `base` (its address without a
/// fragment).
pub fn link(base: &str, setup: &Setup) -> String {
    let base = base.split('#').next().unwrap_or(base);
    format!("{base}#{}", encode(setup))
}

/// Reads a setup from a link, a fragment with or without its '#', or the
/// payload alone.
pub fn decode(link: &str) -> Result<Setup, LinkError> {
    let link = link.trim();
    let fragment = match link.rsplit_once('#') {
        Some((_, fragment)) => fragment,
        // An address without a fragment carries no setup.
        None if link.contains("://") => "",
        None => link,
    };
    if fragment.is_empty() {
        return Err(LinkError::Empty);
    }
    let garbled = |reason: &str| LinkError::Garbled { reason: reason.to_string() };
    let (version, payload) = fragment.strip_prefix('v').and_then(|rest| rest.split_once('.')).ok_or_else(|| garbled("no version"))?;
    let version: u32 = version.parse().map_err(|_| garbled("no version"))?;
    if version > LINK_VERSION {
        return Err(LinkError::Newer { found: version });
    }
    if version < 1 {
        return Err(garbled("no version"));
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| garbled("it is not base64"))?;
    let mut text = String::new();
    flate2::read::DeflateDecoder::new(&bytes[..])
        .take(MAX_SETUP_BYTES)
        .read_to_string(&mut text)
        .map_err(|_| garbled("it does not decompress"))?;
    let mut table: toml::Table = text.parse().map_err(|_| garbled("it is not a setup"))?;
    let lesson = match table.remove("lesson") {
        Some(value) => {
            let part: LessonPart = value.try_into().map_err(|_| garbled("its lesson part is malformed"))?;
            Some((part.name, part.step))
        }
        None => None,
    };
    let language = match table.remove("language") {
        Some(toml::Value::String(tag)) if is_language_tag(&tag) => Some(tag),
        Some(_) => return Err(garbled("its language is not a language tag")),
        None => None,
    };
    let config = load_config_text(&toml::to_string(&table).expect("a table serialises"), "the link", &[])
        .map_err(|e| LinkError::Config(Box::new(e)))?;
    Ok(Setup { config, lesson, language })
}

/// Letters, digits and hyphens, as in `zh-CN` (the app's negotiation makes
/// sense of the rest; this only keeps arbitrary text out).
fn is_language_tag(tag: &str) -> bool {
    (2..=35).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigSource, load_config};

    fn preset(name: &str) -> Config {
        load_config(&ConfigSource::Preset(name.into()), &[]).unwrap()
    }

    #[test]
    fn a_link_round_trips_every_preset_compactly() {
        for preset_info in crate::config::PRESETS {
            let setup = Setup { config: preset(preset_info.name), lesson: None, language: None };
            let fragment = encode(&setup);
            assert!(fragment.len() < 400, "{}: {} characters", preset_info.name, fragment.len());
            assert_eq!(decode(&fragment).unwrap(), setup, "{}", preset_info.name);
        }
        let setup = Setup { config: preset("grokking"), lesson: Some(("11-grokking".into(), 2)), language: Some("zh-CN".into()) };
        let full = link("https://example.org/lab/index.html#old", &setup);
        assert!(full.starts_with("https://example.org/lab/index.html#v1."), "{full}");
        assert_eq!(decode(&full).unwrap(), setup);
    }

    #[test]
    fn bad_links_say_what_is_wrong() {
        let good = encode(&Setup { config: preset("playground"), lesson: None, language: None });
        assert!(matches!(decode("https://example.org/"), Err(LinkError::Empty)));
        assert!(matches!(decode("#v2.abc"), Err(LinkError::Newer { found: 2 })));
        assert!(matches!(decode("#hello"), Err(LinkError::Garbled { .. })));
        assert!(matches!(decode(&good[..good.len() / 2]), Err(LinkError::Garbled { .. })), "cut short");
        assert!(matches!(decode("#v1.!!!"), Err(LinkError::Garbled { .. })));
        let mut bad = Config::default();
        bad.training.learning_rate = -1.0;
        // An invalid config cannot be encoded from the app, but a link can be
        // made by hand: it is refused with the key named.
        let text = "[training]\nlearning_rate = -1.0\n";
        let mut compressed = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        compressed.write_all(text.as_bytes()).unwrap();
        let forged = format!("v1.{}", URL_SAFE_NO_PAD.encode(compressed.finish().unwrap()));
        let error = decode(&forged).unwrap_err().to_string();
        assert!(error.contains("training.learning_rate"), "{error}");
        let _ = bad;
        let mut table: toml::Table = toml::from_str("language = \"<script>\"\n").unwrap();
        table.insert("seed".into(), toml::Value::Integer(3));
        let mut compressed = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        compressed.write_all(toml::to_string(&table).unwrap().as_bytes()).unwrap();
        let forged = format!("v1.{}", URL_SAFE_NO_PAD.encode(compressed.finish().unwrap()));
        assert!(decode(&forged).unwrap_err().to_string().contains("language"));
    }
}
