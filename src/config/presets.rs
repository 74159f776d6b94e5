//! The presets shipped in `assets/presets/`, compiled into the binary so the
//! command line and the app find them from any working directory.

/// A named config in TOML, with its one-line `description`.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub name: &'static str,
    pub toml: &'static str,
}

macro_rules! presets {
    ($($name:literal),* $(,)?) => {
        &[$(Preset { name: $name, toml: include_str!(concat!("../../assets/presets/", $name, ".toml")) }),*]
    };
}

/// Every shipped preset, in the order the app and `presets` list them.
pub const PRESETS: &[Preset] = presets![
    "playground",
    "xor",
    "deep-spiral",
    "multi-spiral",
    "vanishing-gradients",
    "exploding-gradients",
    "dead-relus",
    "constant-init",
    "deep-relu-he",
    "deep-relu-xavier",
    "batch-norm-rescue",
    "overfitting",
    "regression",
    "homogenisation",
    "grokking",
    "digits-mlp",
    "digits-cnn",
    "mnist-cnn",
];

impl Preset {
    /// The preset's `description` line.
    pub fn description(&self) -> String {
        self.toml
            .parse::<toml::Table>()
            .ok()
            .and_then(|table| table.get("description").and_then(|d| d.as_str().map(str::to_string)))
            .unwrap_or_default()
    }
}

pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|preset| preset.name == name)
}

pub fn preset_names() -> Vec<&'static str> {
    PRESETS.iter().map(|preset| preset.name).collect()
}
