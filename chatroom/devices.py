"""A session's browser in words ("Firefox on Windows"), from the User-Agent it signed in with.

Pure and forgiving: a person reads it to tell their devices apart, nothing
is decided by it. A browser names itself in many ways, so the first that
matches wins, and the more specific names come first (Edge and Opera also
say "Chrome", Chrome also says "Safari").
"""

from __future__ import annotations

import re

# (a pattern in the agent, the browser's name), the more specific first.
BROWSERS = (
    (re.compile(r"\bEdg(?:e|A|iOS)?/"), "Edge"),
    (re.compile(r"\b(?:OPR|Opera)/"), "Opera"),
    (re.compile(r"\bFirefox/|\bFxiOS/"), "Firefox"),
    (re.compile(r"\bChromium/"), "Chromium"),
    (re.compile(r"\b(?:Headless)?Chrome/|\bCriOS/"), "Chrome"),
    (re.compile(r"\bVersion/[\d.]+.*\bSafari/"), "Safari"),
)
SYSTEMS = (
    (re.compile(r"\biPhone\b"), "iPhone"),
    (re.compile(r"\biPad\b"), "iPad"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\bMac OS X\b|\bMacintosh\b"), "macOS"),
    (re.compile(r"\bLinux\b|\bX11\b"), "Linux"),
)
# A program's own first word, as in "curl/8.5.0": letters, digits, "-", "_" and ".".
PRODUCT = re.compile(r"^([A-Za-z][\w.-]{0,39})/")
UNKNOWN = "an unknown browser"


def describe(agent: str | None) -> str:
    """The browser and the system the agent names: "Firefox on Windows", "Chrome", "a browser on
    Linux", a program's own name ("curl"), or "an unknown browser"."""
    if not agent:
        return UNKNOWN
    browser = next((name for pattern, name in BROWSERS if pattern.search(agent)), None)
    system = next((name for pattern, name in SYSTEMS if pattern.search(agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"a browser on {system}"
    program = PRODUCT.match(agent)
    return program.group(1) if program and program.group(1) != "Mozilla" else UNKNOWN
