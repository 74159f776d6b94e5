#!/usr/bin/env bash
# Subset Noto Sans CJK SC (Regular) to the characters the app needs.
#
#   subset.sh [--i18n DIR] [--lessons DIR] [--extra FILE]... [--out FILE]
#                  [--font TTC_OR_OTF] [--font-number N] [--no-hinting]
#                  [--gb2312-level2]
#
# Characters: every *.ftl under --i18n and every *.toml under --lessons
# (recursively), any --extra files, plus a built-in common set (chars.py):
# GB2312 level 1 (3,755 hanzi), ASCII, U+2000-206F, U+3000-303F,
# U+FF00-FFEF and the app's symbols.
#
# Needs: bash, python3, fontTools (pip install fonttools) and Debian's
# fonts-noto-cjk (apt-get install -y fonts-noto-cjk). No network.
#
# Output: a CFF-flavoured OpenType file (.otf). egui 0.36 (epaint) reads
# fonts with skrifa, which draws and hints CFF outlines, so no conversion to
# TrueType outlines is needed. Kept: hinting (egui hints by default), the
# horizontal layout features egui's shaper (harfrust) applies by default
# that this font has (ccmp, liga, kern). Dropped: vertical metrics and
# features (egui lays text out horizontally only), the BASE table.
# Subroutines are expanded (--desubroutinize): on this subset that is a
# little smaller, compresses better, and is cheaper to draw.
#
# Licence: Noto Sans CJK is under the SIL Open Font License 1.1. Ship an
# OFL.txt beside the font (the copyright line from the font's name table,
# "(c) 2014-2021 Adobe", plus the OFL text from
# /usr/share/doc/fonts-noto-cjk/copyright) and credit it in the README.
# The Reserved Font Name of the Adobe/Noto CJK family, where declared, is
# "Source": this subset keeps the name "Noto Sans CJK SC", which does not
# use it, so the name may stay.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
i18n=assets/i18n
lessons=assets/lessons
extra=()
out=assets/fonts/NotoSansCJKsc-Regular-subset.otf
font=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
font_number=""
hinting=(--hinting)
level2=()

while [[ $# -gt 0 ]]; do
    case "$1" in
        --i18n) i18n="$2"; shift 2 ;;
        --lessons) lessons="$2"; shift 2 ;;
        --extra) extra+=(--extra "$2"); shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --font) font="$2"; shift 2 ;;
        --font-number) font_number="$2"; shift 2 ;;
        --no-hinting) hinting=(--no-hinting); shift ;;
        --gb2312-level2) level2=(--gb2312-level2); shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) echo "subset.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

[[ -f "$font" ]] || { echo "subset.sh: no $font (apt-get install -y fonts-noto-cjk)" >&2; exit 1; }
python3 -c 'import fontTools' 2>/dev/null || { echo "subset.sh: no fontTools (pip install fonttools)" >&2; exit 1; }
[[ -d "$i18n" ]] || echo "subset.sh: note: no folder $i18n, only the lessons and built-ins" >&2
[[ -d "$lessons" ]] || echo "subset.sh: note: no folder $lessons" >&2

# In a collection (.ttc), find the face named exactly "Noto Sans CJK SC"
# (not the Mono one) unless told which.
if [[ -z "$font_number" ]]; then
    font_number="$(python3 - "$font" <<'EOF'
import sys
from fontTools.ttLib import TTCollection, TTFont
path = sys.argv[1]
with open(path, "rb") as f:
    is_ttc = f.read(4) == b"ttcf"
if not is_ttc:
    print(0); sys.exit()
for i, face in enumerate(TTCollection(path, lazy=True).fonts):
    if face["name"].getDebugName(1) == "Noto Sans CJK SC":
        print(i); sys.exit()
sys.exit("subset.sh: no 'Noto Sans CJK SC' face in " + path)
EOF
)"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 "$here/chars.py" --i18n "$i18n" --lessons "$lessons" "${extra[@]}" "${level2[@]}" > "$tmp/unicodes.txt"

mkdir -p "$(dirname "$out")"
pyftsubset "$font" \
    --font-number="$font_number" \
    --unicodes-file="$tmp/unicodes.txt" \
    --output-file="$out" \
    "${hinting[@]}" \
    --desubroutinize \
    --layout-features=ccmp,liga,kern \
    --drop-tables+=vhea,vmtx,VORG,BASE \
    --name-IDs='*' \
    --name-languages='*' \
    --recalc-bounds

echo "subset.sh: wrote $out ($(stat -c %s "$out") bytes) from $font#$font_number"

# Verify: every character of the inputs that the source face has is in the
# subset's cmap; the rest must be drawn by egui's default fonts (which the
# app keeps ahead of the CJK font) and check-coverage.py says so.
python3 - "$font" "$font_number" "$out" "$tmp/unicodes.txt" <<'EOF'
import sys
from fontTools.ttLib import TTFont
src = TTFont(sys.argv[1], fontNumber=int(sys.argv[2]), lazy=True).getBestCmap()
sub = TTFont(sys.argv[3], lazy=True).getBestCmap()
wanted = {int(l.strip()[2:], 16) for l in open(sys.argv[4]) if l.strip()}
lost = sorted(c for c in wanted if c in src and c not in sub)
if lost:
    sys.exit("subset.sh: the subset lost " + " ".join(f"U+{c:04X}" for c in lost))
print(f"subset.sh: subset has all {sum(c in src for c in wanted)} wanted code points "
      f"the source face has ({len(sub)} in its cmap)")
EOF

egui_defaults=()
if ls "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/epaint_default_fonts-*/fonts/*.ttf >/dev/null 2>&1; then
    egui_defaults=(--egui-defaults)
else
    echo "subset.sh: note: egui's default fonts not in the cargo registry; checking the CJK font alone" >&2
fi
python3 "$here/check-coverage.py" --font "$out" "${egui_defaults[@]}" \
    --i18n "$i18n" --lessons "$lessons" "${extra[@]}" "${level2[@]}"
