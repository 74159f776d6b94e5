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
/// browser. Returns where it went (a path, or the download's name), for
/// the status line.
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
    Ok(path.display().to_string())
}

/// Whether saved files go into a folder the user names (natively) rather
/// than to the browser's downloads.
pub const HAS_FOLDERS: bool = !cfg!(all(target_arch = "wasm32", target_os = "unknown"));

/// The address of the page the app runs in, without its fragment (none
/// natively: then share links use `EMERGENCE_LAB_PAGE`, or the address the
/// README's local server gives).
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub fn page_address() -> String {
    std::env::var("EMERGENCE_LAB_PAGE").unwrap_or_else(|_| "http://localhost:8000/".into())
}

/// Shows a share link in the page's address bar (nothing natively).
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub fn set_page_fragment(_fragment: &str) {}

/// Files picked in the browser's file dialog, not yet taken.
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub fn take_picked_files() -> Vec<(String, Vec<u8>)> {
    Vec::new()
}

/// Opens the browser's file dialog (natively, files are named by path).
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub fn pick_file() {}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub use web::{
    listen_for_links, page_address, page_fragment, page_query, pick_file, save_bytes, screenshot, set_page_fragment, show_text_on_page,
    take_new_links, take_picked_files,
};

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod web {
    //! The browser's side: downloads, the file dialog, the address bar.

    use std::cell::RefCell;

    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};

    use super::*;

    thread_local! {
        /// Fragments the address bar changed to, not yet opened.
        static NEW_LINKS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
        /// Files picked in the file dialog, not yet loaded.
        static PICKED: RefCell<Vec<(String, Vec<u8>)>> = const { RefCell::new(Vec::new()) };
    }

    fn refused(name: &str, error: JsValue) -> SaveError {
        SaveError::Download { name: name.to_string(), message: format!("{error:?}") }
    }

    /// Saves bytes as a download named `name`.
    pub fn save_bytes(_folder: &Path, name: &str, bytes: &[u8]) -> Result<String, SaveError> {
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::new_from_slice(bytes).into());
        let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|e| refused(name, e))?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| refused(name, e))?;
        let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| refused(name, "no document".into()))?;
        let anchor: web_sys::HtmlAnchorElement =
            document.create_element("a").map_err(|e| refused(name, e))?.dyn_into().map_err(|e| refused(name, e.into()))?;
        anchor.set_href(&url);
        anchor.set_download(name);
        anchor.click();
        let _ = web_sys::Url::revoke_object_url(&url);
        Ok(name.to_string())
    }

    /// Bevy saves a screenshot on the web as a download of this name.
    pub fn screenshot(commands: &mut Commands, _folder: &Path, name: &str) -> Result<String, SaveError> {
        use bevy::render::view::screenshot::{Screenshot, save_to_disk};
        commands.spawn(Screenshot::primary_window()).observe(save_to_disk(std::path::PathBuf::from(name)));
        Ok(name.to_string())
    }

    fn location() -> Option<web_sys::Location> {
        web_sys::window().map(|w| w.location())
    }

    pub fn page_query() -> String {
        location().and_then(|l| l.search().ok()).unwrap_or_default()
    }

    /// The fragment after '#', if there is one.
    pub fn page_fragment() -> Option<String> {
        let hash = location()?.hash().ok()?;
        hash.strip_prefix('#').filter(|f| !f.is_empty()).map(str::to_owned)
    }

    pub fn page_address() -> String {
        let href = location().and_then(|l| l.href().ok()).unwrap_or_default();
        href.split('#').next().unwrap_or_default().to_string()
    }

    /// Shows the link in the address bar without reloading or adding a
    /// history entry.
    pub fn set_page_fragment(fragment: &str) {
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("#{fragment}")));
        }
    }

    /// Notes every fragment the address bar changes to (a pasted link).
    pub fn listen_for_links() {
        let Some(window) = web_sys::window() else { return };
        let listener = Closure::<dyn FnMut()>::new(|| {
            if let Some(fragment) = page_fragment() {
                NEW_LINKS.with(|links| links.borrow_mut().push(fragment));
            }
        });
        let _ = window.add_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
        // The listener lives as long as the page.
        listener.forget();
    }

    pub fn take_new_links() -> Vec<String> {
        NEW_LINKS.with(|links| std::mem::take(&mut *links.borrow_mut()))
    }

    /// Opens the page's file dialog; the file arrives in a later frame.
    pub fn pick_file() {
        let Some(input) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("open-file"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        input.set_value("");
        let chosen = input.clone();
        let on_change = Closure::<dyn FnMut()>::new(move || {
            let Some(file) = chosen.files().and_then(|files| files.get(0)) else { return };
            let name = file.name();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                    PICKED.with(|picked| picked.borrow_mut().push((name, bytes)));
                }
            });
        });
        input.set_onchange(Some(on_change.as_ref().unchecked_ref()));
        on_change.forget();
        input.click();
    }

    pub fn take_picked_files() -> Vec<(String, Vec<u8>)> {
        PICKED.with(|picked| std::mem::take(&mut *picked.borrow_mut()))
    }

    /// Replaces the page with text (the benchmark's report).
    pub fn show_text_on_page(text: &str) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        if let (Some(body), Ok(pre)) = (document.body(), document.create_element("pre")) {
            pre.set_text_content(Some(text));
            pre.set_id("bench");
            body.set_inner_html("");
            let _ = body.append_child(&pre);
        }
    }
}
