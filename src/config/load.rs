//! Reading a config from a preset or a file, with overrides, into a
//! validated [`Config`]. Errors say where the bad value came from, in the
//! words the user wrote: the file (with line and column), the preset, the
//! `--set KEY=VALUE`, or a flag such as `--steps 5`.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Config, ConfigIssue, preset, preset_names};
use crate::files::{ReadError, read_text_capped};

/// The largest config file read: a config is a few hundred bytes, and a
/// path like /dev/zero must not be read without end.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

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
    #[error("config file {0}")]
    Read(#[source] ReadError),
    #[error("unknown preset \"{name}\"; the presets are: {known}")]
    UnknownPreset { name: String, known: String },
    /// An override that cannot be applied: `label` is what the user wrote.
    #[error("{label}: {message}")]
    BadOverride { label: String, message: String },
    /// A file (or preset) that is not TOML, or whose value has the wrong
    /// type; the TOML error locates it.
    #[error("{origin}: {}", source.to_string().trim_end())]
    Syntax {
        origin: String,
        #[source]
        source: toml::de::Error,
    },
    /// A value of the wrong type or an unknown key, at `key`.
    #[error("{origin}: key `{key}`: {message}")]
    Type { origin: String, key: String, message: String },
    #[error("{}", render_issues(.issues))]
    Invalid { issues: Vec<(String, ConfigIssue)> },
}

fn render_issues(issues: &[(String, ConfigIssue)]) -> String {
    issues.iter().map(|(origin, issue)| format!("{origin}: {issue}")).collect::<Vec<_>>().join("\n")
}

/// One override of a config key, and how the user wrote it, for messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub key: Vec<String>,
    pub value: toml::Value,
    /// `--set network.hidden=[8,8]`, `--steps 5`, or a lesson step's
    /// `set` entry.
    pub label: String,
}

impl Override {
    /// Parses `KEY=VALUE` written after `--set`.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        Self::parse_labelled(text, &format!("--set {text}"))
    }

    /// Parses `KEY=VALUE`, where VALUE is a TOML value, a bare word that
    /// is not valid TOML is taken as a string (`data.dataset=spiral`), and
    /// `[64]*10` is a list repeated (see [`super::values`]).
    pub fn parse_labelled(text: &str, label: &str) -> Result<Self, ConfigError> {
        let bad = |message: &str| ConfigError::BadOverride { label: label.to_string(), message: message.to_string() };
        let (key, raw) = text.split_once('=').ok_or_else(|| bad("expected KEY=VALUE, e.g. network.hidden=[8,8]"))?;
        let key: Vec<String> = key.trim().split('.').map(|part| part.trim().to_string()).collect();
        if key.iter().any(String::is_empty) {
            return Err(bad("the key has an empty part; write it like training.learning_rate"));
        }
        let value = super::values::parse_value(raw).map_err(|message| bad(&message))?;
        Ok(Self { key, value, label: label.to_string() })
    }

    /// An override of `key` (dotted) with a value already parsed; `label`
    /// says where it came from, for messages.
    pub fn new(key: &str, value: toml::Value, label: impl Into<String>) -> Result<Self, ConfigError> {
        let label = label.into();
        let key: Vec<String> = key.trim().split('.').map(|part| part.trim().to_string()).collect();
        if key.iter().any(String::is_empty) {
            return Err(ConfigError::BadOverride { label, message: "the key has an empty part; write it like network.gain".into() });
        }
        Ok(Self { key, value, label })
    }

    /// An override from a flag (`--steps 5` sets `training.steps`).
    pub fn flag(label: impl Into<String>, key: &str, value: impl Into<toml::Value>) -> Self {
        Self { key: key.split('.').map(str::to_string).collect(), value: value.into(), label: label.into() }
    }

    pub fn dotted(&self) -> String {
        self.key.join(".")
    }
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

/// The text of the base config.
fn base_text(source: &ConfigSource) -> Result<String, ConfigError> {
    match source {
        ConfigSource::Defaults => Ok(String::new()),
        ConfigSource::Preset(name) => preset(name)
            .map(|preset| preset.toml.to_string())
            .ok_or_else(|| ConfigError::UnknownPreset { name: name.clone(), known: preset_names().join(", ") }),
        ConfigSource::File(path) => read_text_capped(path, MAX_CONFIG_BYTES).map_err(ConfigError::Read),
    }
}

/// Reads the base config, applies `--set` overrides in order, then checks
/// the types (unknown keys included) and the ranges.
pub fn load_config(source: &ConfigSource, overrides: &[String]) -> Result<Config, ConfigError> {
    let overrides = overrides.iter().map(|text| Override::parse(text)).collect::<Result<Vec<_>, _>>()?;
    load_config_with(source, &overrides)
}

/// As [`load_config`], with overrides already parsed (flags among them).
/// A relative `data.csv` written in a config file is read from the file's
/// folder, so `run --config DIR/config.toml` works from anywhere; one given
/// by an override is relative to the working directory, where it was typed.
pub fn load_config_with(source: &ConfigSource, overrides: &[Override]) -> Result<Config, ConfigError> {
    let text = base_text(source)?;
    let mut config = load_text(&text, &source.to_string(), overrides)?;
    if let ConfigSource::File(path) = source
        && let Some(csv) = &config.data.csv
        && csv.is_relative()
        && !overrides.iter().any(|o| o.dotted() == "data.csv" || o.dotted() == "data")
    {
        config.data.csv = Some(path.parent().unwrap_or(Path::new(".")).join(csv));
    }
    Ok(config)
}

/// As [`load_config`], from TOML text already in memory (`origin` names it
/// in messages): used for files the app reads, saved experiments, lessons.
pub fn load_config_text(text: &str, origin: &str, overrides: &[String]) -> Result<Config, ConfigError> {
    let overrides = overrides.iter().map(|text| Override::parse_labelled(text, text)).collect::<Result<Vec<_>, _>>()?;
    load_text(text, origin, &overrides)
}

fn load_text(text: &str, origin: &str, overrides: &[Override]) -> Result<Config, ConfigError> {
    let mut table: toml::Table = text.parse().map_err(|source| ConfigError::Syntax { origin: origin.to_string(), source })?;

    for o in overrides {
        set_in(&mut table, &o.key, o.value.clone())
            .map_err(|message| ConfigError::BadOverride { label: o.label.clone(), message: format!("{message} in {origin}") })?;
    }

    // The origin of a key is the last override that wrote it, one of its
    // parents or one of its children, else the base file.
    let origin_of = |key: &str| -> String {
        overrides
            .iter()
            .rev()
            .find(|o| {
                let written = o.dotted();
                let within = |outer: &str, inner: &str| inner.starts_with(&format!("{outer}.")) || inner.starts_with(&format!("{outer}["));
                key == written || within(&written, key) || within(key, &written)
            })
            .map(|o| o.label.clone())
            .unwrap_or_else(|| origin.to_string())
    };

    let config: Config = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|error| {
        let path = error.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let blamed = origin_of(&path);
        // A bad value that came from the file is shown where it stands in
        // the file, line and column, by deserialising the file alone.
        if blamed == origin
            && let Err(located) = toml::from_str::<Config>(text)
            && located.span().is_some()
        {
            return ConfigError::Syntax { origin: blamed, source: located };
        }
        let message = error.inner().message().to_string();
        ConfigError::Type { origin: blamed, key: path, message }
    })?;

    let issues = config.issues();
    if issues.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError::Invalid { issues: issues.into_iter().map(|issue| (origin_of(&issue.key), issue)).collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_blame_what_the_user_wrote() {
        let error = load_config(&ConfigSource::Preset("playground".into()), &["foo.bar=1".into()]).unwrap_err().to_string();
        assert!(error.starts_with("--set foo.bar=1"), "{error}");
        let steps = Override::flag("--steps 5", "training.steps", 5);
        let error = load_text("training = 3\n", "my.toml", &[steps]).unwrap_err().to_string();
        assert!(error.contains("--steps 5") && error.contains("my.toml") && !error.contains("--set"), "{error}");
        let error = load_text("[training]\nlearning_rate = -1.0\n", "my.toml", &[Override::flag("--steps 5", "training.steps", 5)])
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("my.toml: training.learning_rate = -1"), "{error}");
    }
}
