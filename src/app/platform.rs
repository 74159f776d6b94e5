//! What differs between the native app and the web page, behind small
//! functions so everything else is shared: where saved files go (a folder,
//! or the browser's downloads), screenshots, the clock.

use std::path::Path;

use bevy::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("cannot create the folder {}: {source}", path.display())]
    Folder {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the browser refused the download of {name}: {message}")]
    Download { name: String, message: String },
}

/// Seconds since 1970, for file names.
pub fn seconds_now() -> u64 {
    web_time::SystemTime::now().duration_since(web_time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Saves `bytes` as `name`: into `folder` natively, as a download in the
/// browser. Returns where it went, for the status line.
#[cfg(not(target_arch = "wasm32"))]
pub fn save_bytes(folder: &Path, name: &str, bytes: &[u8]) -> Result<String, SaveError> {
    std::fs::create_dir_all(folder).map_err(|source| SaveError::Folder { path: folder.to_path_buf(), source })?;
    let path = folder.join(name);
    std::fs::write(&path, bytes).map_err(|source| SaveError::Write { path: path.clone(), source })?;
    Ok(path.display().to_string())
}

/// Takes a screenshot of the window and saves it as `name` (natively into
/// `folder`).
#[cfg(not(target_arch = "wasm32"))]
pub fn screenshot(commands: &mut Commands, folder: &Path, name: &str) -> Result<String, SaveError> {
    use bevy::render::view::screenshot::{Screenshot, save_to_disk};
    std::fs::create_dir_all(folder).map_err(|source| SaveError::Folder { path: folder.to_path_buf(), source })?;
    let path = folder.join(name);
    commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path.clone()));
    Ok(format!("screenshot saved to {}", path.display()))
}

#[cfg(target_arch = "wasm32")]
pub use web::{save_bytes, screenshot};

#[cfg(target_arch = "wasm32")]
mod web {
    use super::*;

    pub fn save_bytes(_folder: &Path, name: &str, _bytes: &[u8]) -> Result<String, SaveError> {
        Err(SaveError::Download { name: name.to_string(), message: "downloads are not wired yet".into() })
    }

    pub fn screenshot(_commands: &mut Commands, _folder: &Path, name: &str) -> Result<String, SaveError> {
        Err(SaveError::Download { name: name.to_string(), message: "screenshots are not wired yet".into() })
    }
}
