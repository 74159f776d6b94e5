#!/usr/bin/env python3
"""The characters the app's CJK font subset must cover.

Shared by subset-font.sh (which writes the list for pyftsubset) and
check-coverage.py (which checks a font against the same list).

Sources:
  * every *.ftl file under the i18n folder (recursively),
  * every *.toml file under the lessons folder (recursively),
  * any extra text files given,
  * a built-in set: GB2312 level 1 (the 3,755 most common hanzi), ASCII,
    CJK symbols and punctuation (U+3000-303F), halfwidth and fullwidth forms
    (U+FF00-FFEF), general punctuation (U+2000-206F) and the symbols the app
    draws (play, pause, reset, ...).

The built-in *ranges* are "take what the font has": they are passed to the
subsetter but are not required to be in the font (most fonts have no glyph
for U+2028 or U+2066). Everything from the *files*, the GB2312 hanzi, ASCII
and the app symbols is required: check-coverage.py reports each one that no
font of the fallback chain has.

Usage as a script:
  chars.py [--i18n DIR] [--lessons DIR] [--extra FILE]... [--gb2312-level2]
           [--required-only]
prints the code points, one "U+XXXX" a line (the format of pyftsubset's
--unicodes-file).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import unicodedata

# Symbols the app's UI draws today (src/**/*.rs), whatever the language.
APP_SYMBOLS = "▶⏸⟲✖◀▼…−²·≥≤→∞χσξ±×"

# "Take what the font has" ranges (inclusive).
OPTIONAL_RANGES = [
    (0x2000, 0x206F),  # General Punctuation
    (0x3000, 0x303F),  # CJK Symbols and Punctuation
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
]


def gb2312_level1() -> str:
    """The 3,755 level-1 hanzi of GB2312 (rows 16-55, 0xB0A1..0xD7F9).

    Row 55 (0xD7) stops at 0xD7F9: 0xD7FA..0xD7FE are unassigned, and the
    codec rejects them, which is why we skip undecodable pairs.
    """
    out = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            if hi == 0xD7 and lo > 0xF9:
                break
            try:
                out.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(out)


def gb2312_level2() -> str:
    """The 3,008 level-2 hanzi of GB2312 (rows 56-87, 0xD8A1..0xF7FE): rarer
    characters, for names and user-typed text. About +0.85 MB of font."""
    out = []
    for hi in range(0xD8, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(out)


def ascii_printable() -> str:
    return "".join(chr(c) for c in range(0x20, 0x7F))


def is_ignorable(ch: str) -> bool:
    """Characters no font needs to draw: control characters (\\n, \\t, ...)."""
    return unicodedata.category(ch) == "Cc"


def files_under(folder: pathlib.Path | None, pattern: str) -> list[pathlib.Path]:
    if folder is None or not folder.exists():
        return []
    return sorted(p for p in folder.rglob(pattern) if p.is_file())


def source_files(i18n: pathlib.Path | None, lessons: pathlib.Path | None,
                 extra: list[pathlib.Path]) -> list[pathlib.Path]:
    return files_under(i18n, "*.ftl") + files_under(lessons, "*.toml") + list(extra)


def chars_of_files(paths: list[pathlib.Path]) -> dict[str, list[pathlib.Path]]:
    """Every drawable character of the files, with the files it occurs in."""
    where: dict[str, list[pathlib.Path]] = {}
    for p in paths:
        text = p.read_text(encoding="utf-8")
        for ch in set(text):
            if not is_ignorable(ch):
                where.setdefault(ch, []).append(p)
    return where


def required_builtin(level2: bool = False) -> set[str]:
    common = gb2312_level1() + (gb2312_level2() if level2 else "")
    return set(common) | set(ascii_printable()) | set(APP_SYMBOLS)


def optional_builtin() -> set[str]:
    return {chr(c) for lo, hi in OPTIONAL_RANGES for c in range(lo, hi + 1)}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--i18n", type=pathlib.Path, help="folder of *.ftl catalogues")
    ap.add_argument("--lessons", type=pathlib.Path, help="folder of *.toml lessons")
    ap.add_argument("--extra", type=pathlib.Path, action="append", default=[],
                    help="another text file whose characters are needed")
    ap.add_argument("--gb2312-level2", action="store_true",
                    help="also the 3,008 rarer GB2312 level-2 hanzi")
    ap.add_argument("--required-only", action="store_true",
                    help="leave out the take-what-the-font-has ranges")
    a = ap.parse_args(argv)
    files = source_files(a.i18n, a.lessons, a.extra)
    chars = set(chars_of_files(files)) | required_builtin(a.gb2312_level2)
    if not a.required_only:
        chars |= optional_builtin()
    for c in sorted(chars):
        print(f"U+{ord(c):04X}")
    print(f"chars.py: {len(chars)} code points from {len(files)} files + built-ins",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
