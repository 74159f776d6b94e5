#!/usr/bin/env python3
"""Print every character of the app's text that no given font can draw.

  check-coverage.py --font assets/fonts/NotoSansCJKsc-subset.otf \\
      [--font more.ttf ...] [--egui-defaults] \\
      [--i18n assets/i18n] [--lessons assets/lessons] [--extra FILE]... \\
      [--no-builtin] [--verbose]

The fonts are a fallback chain, as in egui: a character is covered if any
of them has it in its character map (cmap). A font inside a collection is
written PATH#INDEX (e.g. NotoSansCJK-Regular.ttc#2).

--egui-defaults adds egui's own default fonts (Ubuntu-Light, Hack,
NotoEmoji, emoji-icon-font) from the epaint_default_fonts crate in the local
cargo registry: the app keeps them first in its families, so the symbols
they draw (pause, reset, ...) need not be in the CJK font.

Checks the characters of every *.ftl under --i18n and every *.toml under
--lessons (recursively), of --extra files, and (unless --no-builtin) the
built-in required set: GB2312 level 1, printable ASCII and the app's symbols.

Exit status: 0 if everything is covered, 1 if anything is missing.
"""

from __future__ import annotations

import argparse
import glob
import os
import pathlib
import sys
import unicodedata

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import chars  # noqa: E402  (beside this script)

from fontTools.ttLib import TTFont  # noqa: E402


def load_cmap(spec: str) -> set[int]:
    path, _, index = spec.partition("#")
    font = TTFont(path, fontNumber=int(index) if index else -1, lazy=True)
    cmap = font.getBestCmap() or {}
    return set(cmap.keys())


def egui_default_fonts() -> list[str]:
    home = pathlib.Path(os.environ.get("CARGO_HOME", pathlib.Path.home() / ".cargo"))
    found = sorted(glob.glob(str(home / "registry/src/*/epaint_default_fonts-*/fonts/*.ttf")))
    if not found:
        sys.exit("check-coverage: --egui-defaults: no epaint_default_fonts in the cargo registry")
    # Newest version of the crate only.
    newest = max({pathlib.Path(f).parent.parent.name for f in found})
    return [f for f in found if pathlib.Path(f).parent.parent.name == newest]


def describe(ch: str) -> str:
    return f"U+{ord(ch):04X} {ch!r} {unicodedata.name(ch, '<unnamed>')}"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--font", action="append", default=[], required=True,
                    help="font file (PATH or PATH#INDEX); repeat for a fallback chain")
    ap.add_argument("--egui-defaults", action="store_true",
                    help="add egui's default fonts to the chain")
    ap.add_argument("--i18n", type=pathlib.Path)
    ap.add_argument("--lessons", type=pathlib.Path)
    ap.add_argument("--extra", type=pathlib.Path, action="append", default=[])
    ap.add_argument("--no-builtin", action="store_true",
                    help="check only the files, not the built-in common set")
    ap.add_argument("--gb2312-level2", action="store_true",
                    help="also require the GB2312 level-2 hanzi")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)

    font_specs = list(a.font) + (egui_default_fonts() if a.egui_defaults else [])
    cmaps = [(spec, load_cmap(spec)) for spec in font_specs]
    covered = set().union(*(c for _, c in cmaps))

    files = chars.source_files(a.i18n, a.lessons, a.extra)
    where = chars.chars_of_files(files)
    needed = set(where)
    if not a.no_builtin:
        needed |= chars.required_builtin(a.gb2312_level2)

    missing = sorted(c for c in needed if ord(c) not in covered)
    if a.verbose:
        for spec, cm in cmaps:
            print(f"font {spec}: {len(cm)} code points")
        print(f"{len(files)} files, {len(where)} distinct characters in them, "
              f"{len(needed)} checked")
    for c in missing:
        srcs = where.get(c, [])
        origin = ", ".join(str(p) for p in srcs[:3]) + (" ..." if len(srcs) > 3 else "")
        if not srcs:
            origin = "built-in set"
        note = ""
        if unicodedata.category(c) == "Cf":
            note = "  (invisible format character: remove it from the text; " \
                   "Fluent's bidi isolation marks are U+2068/U+2069)"
        print(f"MISSING {describe(c)}  in {origin}{note}")
    if missing:
        print(f"check-coverage: {len(missing)} of {len(needed)} characters missing")
        return 1
    print(f"check-coverage: all {len(needed)} characters covered by {len(cmaps)} font(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
