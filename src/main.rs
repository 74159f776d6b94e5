//! The program: the command line natively and under WASI; the app alone in
//! the browser, where there is no command line and no process to exit.

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
fn main() {
    std::process::exit(emergence_lab::cli::main());
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn main() {
    emergence_lab::app::web::start();
}
