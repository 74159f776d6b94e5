#!/usr/bin/env bash
# Builds the web page into a folder (default: dist/): index.html, the
# JavaScript glue and the .wasm. Serve that folder with any static server:
#     web/build.sh && python3 -m http.server 8000 --directory dist
# Installs what it needs: the wasm32 target (rustup) and wasm-bindgen-cli
# at the version in Cargo.lock (cargo install). Runs wasm-opt when one of
# version 110 or later is on the PATH; the page works without it, only
# larger.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}"
profile="${EMERGENCE_LAB_WEB_PROFILE:-web-release}"
target_dir="${CARGO_TARGET_DIR:-target}"

if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qF "$version"; then
    echo "installing wasm-bindgen-cli $version (it must match the wasm-bindgen crate)"
    # Without --locked: its lock file names crate versions the registry
    # mirror may lack; its default features only serve its test runner.
    cargo install wasm-bindgen-cli --version "$version" --no-default-features
fi

started=$(date +%s)
cargo build --profile "$profile" --target wasm32-unknown-unknown --bin emergence-lab
rm -rf "$out"
mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name emergence_lab \
    "$target_dir/wasm32-unknown-unknown/$profile/emergence-lab.wasm"
wasm="$out/emergence_lab_bg.wasm"
# wasm-opt shrinks the module further, but only a recent one can be trusted
# with wasm-bindgen's output: binaryen 108 (Debian's) rebinds the externref
# table and the page dies at start ("Table.set(): Argument 1 is invalid"),
# and naming features one by one switches the others off. So: version 110
# or later, every feature on, and never for the test page (web-ci), which
# is built for speed.
wasm_opt_version=$(wasm-opt --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9]*\).*/\1/p')
if [[ "$profile" == "web-ci" ]]; then
    :
elif [[ -z "$wasm_opt_version" ]]; then
    echo "no wasm-opt on the PATH; the page is built without it (larger, works the same)"
elif (( wasm_opt_version < 110 )); then
    echo "wasm-opt $wasm_opt_version is too old for wasm-bindgen's output (needs 110 or later); the page is built without it"
elif wasm-opt -Os --all-features -o "$wasm.opt" "$wasm" 2>/dev/null; then
    mv "$wasm.opt" "$wasm"
else
    rm -f "$wasm.opt"
    echo "wasm-opt could not optimise the module; the page is built without it"
fi
cp web/index.html "$out/"
raw=$(stat -c %s "$wasm")
gzipped=$(gzip -9 -c "$wasm" | wc -c)
echo "built $out in $(( $(date +%s) - started )) s: $(( raw / 1024 )) KiB of wasm, $(( gzipped / 1024 )) KiB gzipped"
