"""Writes static/js/emoji_data.js, the emoji picker's list, from Python's unicodedata.

Run from the checkout: ``python3 bin/emoji_data.py``. No network: the emoji
are the code point ranges below (those shown as emoji by default, the few
shown as text getting U+FE0F), named by ``unicodedata.name``; flags are
regional indicator pairs named here. A Python with a newer Unicode may name
a few more in these ranges; the file records which version made it.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "static" / "js" / "emoji_data.js"

Ranges = list[tuple[int, int]]

GROUPS: list[tuple[str, Ranges]] = [
    (
        "Smileys",
        [
            (0x1F600, 0x1F637),
            (0x1F641, 0x1F644),
            (0x1F910, 0x1F915),
            (0x1F917, 0x1F917),
            (0x1F920, 0x1F925),
            (0x1F927, 0x1F92F),
            (0x1F970, 0x1F976),
            (0x1F978, 0x1F97A),
            (0x1F9D0, 0x1F9D0),
            (0x1FAE0, 0x1FAE7),
            (0x1F47B, 0x1F47D),
            (0x1F480, 0x1F480),
            (0x1F4A9, 0x1F4A9),
            (0x1F63A, 0x1F640),
            (0x1F648, 0x1F64A),
        ],
    ),
    (
        "People",
        [
            (0x1F44A, 0x1F450),
            (0x270A, 0x270B),
            (0x1F595, 0x1F596),
            (0x1F64B, 0x1F64F),
            (0x1F918, 0x1F91F),
            (0x1F90C, 0x1F90F),
            (0x1F932, 0x1F934),
            (0x1FAF0, 0x1FAF6),
            (0x1F4AA, 0x1F4AA),
            (0x1F440, 0x1F440),
            (0x1F442, 0x1F443),
            (0x1F445, 0x1F445),
            (0x1F466, 0x1F469),
            (0x1F474, 0x1F478),
            (0x1F9D1, 0x1F9D1),
            (0x1F483, 0x1F483),
            (0x1F57A, 0x1F57A),
        ],
    ),
    (
        "Animals & nature",
        [
            (0x1F400, 0x1F43E),
            (0x1F980, 0x1F9AE),
            (0x1F330, 0x1F335),
            (0x1F337, 0x1F344),
            (0x1F490, 0x1F490),
            (0x1F4AE, 0x1F4AE),
            (0x1F30D, 0x1F320),
        ],
    ),
    (
        "Food & drink",
        [
            (0x1F345, 0x1F37C),
            (0x1F37E, 0x1F37F),
            (0x1F950, 0x1F96F),
            (0x1F9C0, 0x1F9CB),
            (0x1FAD0, 0x1FAD9),
            (0x2615, 0x2615),
            (0x1F382, 0x1F382),
        ],
    ),
    (
        "Activities",
        [
            (0x1F380, 0x1F381),
            (0x1F383, 0x1F393),
            (0x1F3A0, 0x1F3CA),
            (0x1F3CF, 0x1F3D3),
            (0x1F3F8, 0x1F3FA),
            (0x26BD, 0x26BE),
            (0x1F945, 0x1F94F),
            (0x1F93A, 0x1F93A),
            (0x1F93C, 0x1F93E),
        ],
    ),
    (
        "Travel & places",
        [
            (0x1F680, 0x1F6C5),
            (0x1F3E0, 0x1F3F0),
            (0x26F2, 0x26F3),
            (0x26F5, 0x26F5),
            (0x26FA, 0x26FA),
            (0x26FD, 0x26FD),
            (0x1F6F4, 0x1F6FC),
        ],
    ),
    (
        "Objects",
        [
            (0x1F4A1, 0x1F4A1),
            (0x1F4B0, 0x1F4FC),
            (0x1F50A, 0x1F53D),
            (0x231A, 0x231B),
            (0x23F0, 0x23F0),
            (0x23F3, 0x23F3),
            (0x1F9F0, 0x1F9FF),
            (0x1FA70, 0x1FA7C),
            (0x1FA80, 0x1FA86),
            (0x1FA90, 0x1FAAC),
        ],
    ),
    (
        "Symbols",
        [
            (0x2764, 0x2764),
            (0x1F493, 0x1F49F),
            (0x1F9E1, 0x1F9E1),
            (0x1F90D, 0x1F90E),
            (0x1F5A4, 0x1F5A4),
            (0x2705, 0x2705),
            (0x274C, 0x274C),
            (0x274E, 0x274E),
            (0x2753, 0x2755),
            (0x2757, 0x2757),
            (0x2728, 0x2728),
            (0x2B50, 0x2B50),
            (0x1F4AF, 0x1F4AF),
            (0x1F4A2, 0x1F4A8),
            (0x1F4AB, 0x1F4AD),
            (0x1F6AB, 0x1F6AB),
            (0x267B, 0x267B),
            (0x26A0, 0x26A1),
            (0x2795, 0x2797),
            (0x27B0, 0x27B0),
        ],
    ),
]

# Flags: regional indicator pairs (ISO 3166-1 alpha-2); unicodedata names only the letters.
COUNTRIES = {
    "AR": "Argentina",
    "AT": "Austria",
    "AU": "Australia",
    "BE": "Belgium",
    "BR": "Brazil",
    "CA": "Canada",
    "CH": "Switzerland",
    "CL": "Chile",
    "CN": "China",
    "CO": "Colombia",
    "CZ": "Czechia",
    "DE": "Germany",
    "DK": "Denmark",
    "EG": "Egypt",
    "ES": "Spain",
    "EU": "European Union",
    "FI": "Finland",
    "FR": "France",
    "GB": "United Kingdom",
    "GR": "Greece",
    "HU": "Hungary",
    "ID": "Indonesia",
    "IE": "Ireland",
    "IL": "Israel",
    "IN": "India",
    "IT": "Italy",
    "JP": "Japan",
    "KE": "Kenya",
    "KR": "South Korea",
    "MA": "Morocco",
    "MX": "Mexico",
    "NG": "Nigeria",
    "NL": "Netherlands",
    "NO": "Norway",
    "NZ": "New Zealand",
    "PH": "Philippines",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SE": "Sweden",
    "SG": "Singapore",
    "TH": "Thailand",
    "TR": "Turkey",
    "UA": "Ukraine",
    "UN": "United Nations",
    "US": "United States",
    "VN": "Vietnam",
    "ZA": "South Africa",
}
OTHER_FLAGS = [
    ("\U0001f3c1", "chequered flag"),
    ("\U0001f6a9", "triangular flag on post"),
    ("\U0001f38c", "crossed flags"),
    ("\U0001f3f4", "waving black flag"),
    ("\U0001f3f3\ufe0f", "waving white flag"),
    ("\U0001f3f3\ufe0f\u200d\U0001f308", "rainbow flag"),
    ("\U0001f3f4\u200d\u2620\ufe0f", "pirate flag"),
]


def as_emoji(code_point: int) -> str:
    """The emoji for ``code_point``: those below the emoji planes ask for emoji style."""
    char = chr(code_point)
    return char + "\ufe0f" if code_point < 0x1F000 else char


def group_entries(ranges: Ranges) -> list[list[str]]:
    entries = []
    for first, last in ranges:
        for code_point in range(first, last + 1):
            name = unicodedata.name(chr(code_point), "")
            if name:
                entries.append([as_emoji(code_point), name.lower()])
    return entries


def flag(code: str) -> str:
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in code)


def flag_entries() -> list[list[str]]:
    entries = [[emoji, name] for emoji, name in OTHER_FLAGS]
    entries += [
        [flag(code), f"flag {name.lower()}"] for code, name in sorted(COUNTRIES.items(), key=lambda c: c[1])
    ]
    return entries


def main() -> int:
    groups = [{"name": name, "emoji": group_entries(ranges)} for name, ranges in GROUPS]
    groups.append({"name": "Flags", "emoji": flag_entries()})
    lines = [
        "// The emoji picker's list: written by bin/emoji_data.py from Python's unicodedata",
        f"// (Unicode {unicodedata.unidata_version}). Do not edit; run the script again.",
        "// Each group: {name, emoji: [[emoji, name], ...]}.",
        "",
        "export const EMOJI_GROUPS = [",
    ]
    for group in groups:
        lines.append("  " + json.dumps(group, ensure_ascii=False, separators=(",", ":")) + ",")
    lines.append("];")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    count = sum(len(group["emoji"]) for group in groups)
    print(f"wrote {OUT} ({count} emoji, {OUT.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
