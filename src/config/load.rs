//! Reading a config from a preset or a file, with `--set KEY=VALUE`
//! overrides, into a validated [`Config`]. Errors say where the bad value
//! came from: the file, the preset, or the `--set` that wrote it.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Config, ConfigIssue, preset, preset_names};

/// Where the base of a config comes from, before any override.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigSource {
    /// The built-in defaults (the Playground default network).
    Defaults,
    Preset(String),
    File(PathBuf),
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Defaults => write!(f, "the defaults"),
            Self::Preset(name) => write!(f, "preset \"{name}\""),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {error}")]
    Read { path: PathBuf, error: std::io::Error },
    #[error("unknown preset \"{name}\"; the presets are: {known}")]
    UnknownPreset { name: String, known: String },
    #[error("--set {text}: {message}")]
    BadOverride { text: String, message: String },
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("{}", render_issues(.issues))]
    Invalid { issues: Vec<(String, ConfigIssue)> },
}

fn render_issues(issues: &[(String, ConfigIssue)]) -> String {
    issues.iter().map(|(origin, issue)| format!("{origin}: {issue}")).collect::<Vec<_>>().join("\n")
}

/// One `--set` override, parsed: the dotted key and its TOML value.
#[derive(Debug, Clone)]
struct Override {
    text: String,
    key: Vec<String>,
}

/// Parses `KEY=VALUE`, where VALUE is a TOML value and a bare word that is
/// not valid TOML is taken as a string (`data.dataset=spiral`).
pub fn parse_override(text: &str) -> Result<(Vec<String>, toml::Value), ConfigError> {
    let bad = |message: &str| ConfigError::BadOverride { text: text.to_string(), message: message.to_string() };
    let (key, raw) = text.split_once('=').ok_or_else(|| bad("expected KEY=VALUE, e.g. network.hidden=[8,8]"))?;
    let key: Vec<String> = key.trim().split('.').map(|part| part.trim().to_string()).collect();
    if key.iter().any(String::is_empty) {
        return Err(bad("the key has an empty part; write it like training.learning_rate"));
    }
    let raw = raw.trim();
    let value = match format!("value = {raw}").parse::<toml::Table>() {
        Ok(mut table) => table.remove("value").expect("the key was just written"),
        Err(_) => toml::Value::String(raw.to_string()),
    };
    Ok((key, value))
}

fn set_in(table: &mut toml::Table, key: &[String], value: toml::Value) -> Result<(), String> {
    let (last, parents) = key.split_last().expect("keys are never empty");
    let mut current = table;
    for (depth, part) in parents.iter().enumerate() {
        let entry = current.entry(part.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = match entry {
            toml::Value::Table(inner) => inner,
            _ => return Err(format!("`{}` is a value, not a section", key[..=depth].join("."))),
        };
    }
    current.insert(last.clone(), value);
    Ok(())
}

/// The text of the base config, and the name errors will give it.
fn base_text(source: &ConfigSource) -> Result<String, ConfigError> {
    match source {
        ConfigSource::Defaults => Ok(String::new()),
        ConfigSource::Preset(name) => preset(name)
            .map(|preset| preset.toml.to_string())
            .ok_or_else(|| ConfigError::UnknownPreset { name: name.clone(), known: preset_names().join(", ") }),
        ConfigSource::File(path) => read_file(path),
    }
}

fn read_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|error| ConfigError::Read { path: path.to_path_buf(), error })
}

/// Reads the base config, applies the overrides in order, then checks the
/// types (unknown keys included) and the ranges.
pub fn load_config(source: &ConfigSource, overrides: &[String]) -> Result<Config, ConfigError> {
    let text = base_text(source)?;
    load_config_text(&text, &source.to_string(), overrides)
}

/// As [`load_config`], from TOML text already in memory (`origin` names it
/// in messages): used for files the app reads and for saved experiments.
pub fn load_config_text(text: &str, origin: &str, overrides: &[String]) -> Result<Config, ConfigError> {
    let mut table: toml::Table = text.parse().map_err(|error: toml::de::Error| ConfigError::Parse {
        origin: origin.to_string(),
        message: error.to_string().trim_end().to_string(),
    })?;

    let mut applied = Vec::new();
    for text in overrides {
        let (key, value) = parse_override(text)?;
        set_in(&mut table, &key, value).map_err(|message| ConfigError::BadOverride { text: text.clone(), message })?;
        applied.push(Override { text: text.clone(), key });
    }

    // The origin of a key is the last --set that wrote it or one of its
    // parents, else the base file.
    let origin_of = |key: &str| -> String {
        applied
            .iter()
            .rev()
            .find(|o| {
                let written = o.key.join(".");
                key == written || key.starts_with(&format!("{written}.")) || key.starts_with(&format!("{written}["))
            })
            .map(|o| format!("--set {}", o.text))
            .unwrap_or_else(|| origin.to_string())
    };

    let config: Config = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|error| {
        let path = error.path().to_string();
        let from_file = origin_of(&path) == origin;
        // A bad value that came from the file is shown where it stands in
        // the file, line and column, by deserialising the file alone.
        let located = from_file
            .then(|| toml::from_str::<Config>(text).err())
            .flatten()
            .filter(|e| e.span().is_some())
            .map(|e| e.to_string().trim_end().to_string());
        let message = match located {
            Some(located) => located,
            None if path == "." || path.is_empty() => error.inner().message().to_string(),
            None => format!("key `{path}`: {}", error.inner().message()),
        };
        ConfigError::Parse { origin: origin_of(&path), message }
    })?;

    let issues = config.issues();
    if issues.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError::Invalid { issues: issues.into_iter().map(|issue| (origin_of(&issue.key), issue)).collect() })
    }
}
