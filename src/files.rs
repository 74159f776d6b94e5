//! Reading the user's files with a bound: a config, a CSV, a lesson or a
//! saved experiment is read whole, so a path such as /dev/zero (or a wrong
//! file of gigabytes) must fail with a message, not fill the memory.

use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is larger than {} (this kind of file is never that big; is it the right file?)", path.display(), human_bytes(*limit))]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{} is not text (UTF-8)", path.display())]
    NotText { path: PathBuf },
}

impl ReadError {
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. } | Self::TooLarge { path, .. } | Self::NotText { path } => path,
        }
    }
}

/// "1 MiB", "64 MiB", "512 KiB".
pub fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// Reads at most `limit` bytes of `path`; more is an error.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { path: path.to_path_buf(), limit });
    }
    Ok(bytes)
}

/// As [`read_capped`], as UTF-8 text.
pub fn read_text_capped(path: &Path, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(read_capped(path, limit)?).map_err(|_| ReadError::NotText { path: path.to_path_buf() })
}

/// The folder `name` of the assets (lessons, catalogues):
/// `$EMERGENCE_LAB_ASSETS/name`, then `assets/name` in the working
/// directory, next to the executable, or in the source tree the program
/// was built from.
pub fn assets_subdir(name: &str) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(assets) = std::env::var_os("EMERGENCE_LAB_ASSETS") {
        candidates.push(PathBuf::from(assets).join(name));
    }
    candidates.push(Path::new("assets").join(name));
    if let Some(dir) = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf)) {
        candidates.push(dir.join("assets").join(name));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join(name));
    candidates.into_iter().find(|dir| dir.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_is_refused_after_the_limit() {
        let error = read_capped(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(matches!(error, ReadError::TooLarge { .. }));
        assert!(error.to_string().contains("/dev/zero") && error.to_string().contains("1 MiB"), "{error}");
        let missing = read_capped(Path::new("/no/such/file"), 10).unwrap_err();
        assert!(missing.to_string().contains("/no/such/file"));
    }
}
