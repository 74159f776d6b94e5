//! The lab as a web page, in a real browser: headless Chromium (Debian's
//! `chromium` and `chromium-driver`, driven over the WebDriver protocol)
//! loads the page built by `web/build.sh` from a local static server, runs
//! it for 60 frames and more, takes a screenshot that must not be blank,
//! reads that training advanced and that a share link's setup was opened,
//! finds no errors in the console, and compares the page's run of a few
//! configurations with the same runs natively, bit for bit.
//!
//! Needs the built page named by EMERGENCE_LAB_WEB_DIST and `chromedriver`;
//! skipped without them unless EMERGENCE_LAB_REQUIRE_WEB_TEST is set (as CI
//! sets it, after building the page).
#![cfg(feature = "gui")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use emergence_lab::benchmarks::{fingerprint, fingerprint_cases};
use emergence_lab::config::{ConfigSource, load_config};
use emergence_lab::share::{self, Setup};
use serde_json::{Value, json};

/// A child process killed when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16, what: &str) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "{what} did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

struct Browser {
    base: String,
    session: String,
}

impl Browser {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        request(method, &url, body)
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    fn script(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({ "script": script, "args": [] })))["value"].clone()
    }

    /// Waits until `script` returns something truthy; returns it.
    fn wait_for(&self, what: &str, script: &str, timeout: Duration) -> Value {
        let started = Instant::now();
        loop {
            let value = self.script(script);
            if !(value.is_null() || value == json!(false) || value == json!(0)) {
                return value;
            }
            assert!(started.elapsed() < timeout, "timed out waiting for {what}; console: {:?}", self.console());
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn lab(&self) -> Value {
        serde_json::from_str(self.script("return window.__lab || 'null'").as_str().unwrap_or("null")).unwrap_or(Value::Null)
    }

    /// The console entries since the last call.
    fn console(&self) -> Vec<Value> {
        self.call("POST", "/se/log", Some(json!({ "type": "browser" })))["value"].as_array().cloned().unwrap_or_default()
    }

    fn screenshot(&self) -> Vec<u8> {
        let encoded = self.call("GET", "/screenshot", None)["value"].as_str().unwrap().to_string();
        base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()
    }
}

fn request(method: &str, url: &str, body: Option<Value>) -> Value {
    let response = match (method, body) {
        ("GET", _) => ureq::get(url).call(),
        ("DELETE", _) => ureq::delete(url).call(),
        (_, body) => ureq::post(url).content_type("application/json").send(body.unwrap_or(json!({})).to_string()),
    };
    let mut response = response.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let text = response.body_mut().read_to_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Distinct colours of a PNG: a blank or broken frame has a handful.
fn distinct_colours(png_bytes: &[u8]) -> usize {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.color_type.samples();
    let mut colours: Vec<[u8; 3]> = pixels[..info.buffer_size()].chunks_exact(channels).map(|p| [p[0], p[1], p[2]]).collect();
    colours.sort_unstable();
    colours.dedup();
    colours.len()
}

fn built_page() -> Option<PathBuf> {
    let dist = std::env::var_os("EMERGENCE_LAB_WEB_DIST").map(PathBuf::from).filter(|d| d.join("index.html").is_file());
    let driver = Command::new("chromedriver").arg("--version").output().is_ok_and(|o| o.status.success());
    match (dist, driver) {
        (Some(dist), true) => Some(dist),
        _ => {
            assert!(
                std::env::var_os("EMERGENCE_LAB_REQUIRE_WEB_TEST").is_none(),
                "EMERGENCE_LAB_WEB_DIST must name the page built by web/build.sh, and chromedriver must be installed (.ci/run does both)"
            );
            eprintln!("skipped: build the page with web/build.sh and set EMERGENCE_LAB_WEB_DIST (see .ci/run)");
            None
        }
    }
}

fn start_browser(dist: &Path) -> (Browser, String, Vec<Guard>) {
    let (web_port, driver_port) = (free_port(), free_port());
    let server = Command::new("python3")
        .args(["-m", "http.server", &web_port.to_string(), "--bind", "127.0.0.1", "--directory"])
        .arg(dist)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 serves the page");
    let driver = Command::new("chromedriver")
        .arg(format!("--port={driver_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let guards = vec![Guard(server), Guard(driver)];
    wait_for_port(web_port, "the static server");
    wait_for_port(driver_port, "chromedriver");
    let profile = tempfile::tempdir().unwrap().keep();
    let capabilities = json!({ "capabilities": { "alwaysMatch": {
        "browserName": "chrome",
        "goog:loggingPrefs": { "browser": "ALL" },
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                format!("--user-data-dir={}", profile.display()), "--window-size=1280,800", "--force-device-scale-factor=1",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
            ],
        },
    }}});
    let base = format!("http://127.0.0.1:{driver_port}");
    let created = request("POST", &format!("{base}/session"), Some(capabilities));
    let session = created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}")).to_string();
    (Browser { base, session }, format!("http://127.0.0.1:{web_port}/index.html"), guards)
}

/// Console errors, but for what a headless software renderer always says.
fn errors(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .filter(|m| !m.contains("Using exceptions for control flow"))
        .collect()
}

#[test]
fn the_page_runs_the_lab_opens_links_and_matches_native_bits() {
    let Some(dist) = built_page() else { return };
    let (browser, page, _guards) = start_browser(&dist);
    let patience = Duration::from_secs(240);

    // The plain page: the default setup, drawn.
    browser.go(&page);
    browser.wait_for("60 frames", "return (window.__labFrames || 0) >= 60", patience);
    let lab = browser.lab();
    let default = load_config(&ConfigSource::Preset("playground".into()), &[]).unwrap();
    assert_eq!(lab["config"].as_str(), Some(default.to_toml().as_str()), "{lab}");
    let screenshot = browser.screenshot();
    // To look at the page as a user would: EMERGENCE_LAB_WEB_SCREENSHOT=page.png
    if let Some(path) = std::env::var_os("EMERGENCE_LAB_WEB_SCREENSHOT") {
        std::fs::write(&path, &screenshot).unwrap();
    }
    let colours = distinct_colours(&screenshot);
    assert!(colours > 200, "only {colours} colours: a blank or broken page");
    let problems = errors(&browser.console());
    assert!(problems.is_empty(), "console errors: {problems:?}");
    // Reported, not asserted: a software renderer on a shared machine.
    let (frames_before, started) = (browser.script("return window.__labFrames").as_f64().unwrap_or(0.0), Instant::now());
    std::thread::sleep(Duration::from_secs(5));
    let frames = browser.script("return window.__labFrames").as_f64().unwrap_or(0.0) - frames_before;
    eprintln!("in this browser, paused: {:.1} ms a frame over {frames} frames", started.elapsed().as_secs_f64() * 1e3 / frames.max(1.0));

    // A share link: its settings, its lesson step, which starts training.
    let mut config = default.clone();
    config.network.hidden = vec![5, 3];
    config.seed = 7;
    // The link carries its maker's language: the class sees the lesson in it.
    let setup = Setup { config: config.clone(), lesson: Some(("01-features-emerge".into(), 0)), language: Some("zh-CN".into()) };
    browser.go("about:blank");
    browser.go(&share::link(&page, &setup));
    browser.wait_for(
        "the link's lesson step to train",
        "const lab = JSON.parse(window.__lab || 'null'); return lab && lab.step > 20",
        patience,
    );
    let lab = browser.lab();
    assert_eq!(lab["config"].as_str(), Some(config.to_toml().as_str()), "the link's settings, in its lesson step: {lab}");
    assert_eq!(lab["language"].as_str(), Some("zh-CN"), "the link's language: {lab}");
    if let Some(path) = std::env::var_os("EMERGENCE_LAB_WEB_SCREENSHOT_ZH") {
        std::fs::write(&path, browser.screenshot()).unwrap();
    }

    // `?lang=` chooses the language of a page without a link.
    browser.go("about:blank");
    browser.go(&format!("{page}?lang=zh-CN"));
    browser.wait_for("the page in Chinese", "const lab = JSON.parse(window.__lab || 'null'); return lab && lab.frames >= 5", patience);
    assert_eq!(browser.lab()["language"].as_str(), Some("zh-CN"));

    // A link without a lesson: exactly its settings.
    browser.go("about:blank");
    browser.go(&share::link(&page, &Setup { config: config.clone(), lesson: None, language: None }));
    browser.wait_for("the linked settings", "return (window.__labFrames || 0) >= 5", patience);
    browser.wait_for("the linked settings", "const lab = JSON.parse(window.__lab || 'null'); return lab && lab.frames >= 5", patience);
    assert_eq!(browser.lab()["config"].as_str(), Some(config.to_toml().as_str()));

    // A garbled link: a message, and the default session goes on.
    browser.go("about:blank");
    browser.go(&format!("{page}#v1.garbled!"));
    browser.wait_for("frames after a bad link", "return (window.__labFrames || 0) >= 20", patience);
    let lab = browser.lab();
    assert!(lab["notice"].as_str().unwrap_or("").contains("could not be opened"), "{lab}");
    assert_eq!(lab["config"].as_str(), Some(default.to_toml().as_str()));
    let problems = errors(&browser.console());
    assert!(problems.is_empty(), "console errors: {problems:?}");

    // The benchmark page: speeds, and the same bits as native.
    browser.go("about:blank");
    browser.go(&format!("{page}?bench"));
    let report = browser.wait_for("the benchmarks", "return window.__labBench || null", patience);
    let report: Value = serde_json::from_str(report.as_str().unwrap()).unwrap();
    eprintln!("in this browser: {report}");
    for (name, config, steps) in fingerprint_cases() {
        assert_eq!(
            report["fingerprints"][name].as_str(),
            Some(fingerprint(config, steps).as_str()),
            "{name}: the browser's run differs from native"
        );
    }
    browser.call("DELETE", "", None);
}
