"""The pages' import map: every module under static/js at its versioned URL.

A page loads its entry module by ``static_url`` (``?v=`` and the file's
hash, served with a ten-year Cache-Control), but the modules import each
other by relative path (``./dom.js``), which resolves to a URL without a
version: revalidated on every load, or, left to a browser's heuristics, a
stale module run beside a new entry module after an upgrade. The import map
sends each such URL to the file's versioned one, so every module is fetched
once and kept, and a release that changes a file changes its URL.

It is made once per process, when the Application is (Tornado keeps the
hashes), and written into the page inline, so the pages' Content-Security-Policy
allows exactly this script by its hash (docs/security.md, "Cross-site requests (CSRF)").
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .static_files import StaticHandler, plain_static_path

# What the page imports as a module (static_files.CONTENT_TYPES serves both as JavaScript).
MODULE_SUFFIXES = (".js", ".mjs")


@dataclass(frozen=True)
class ImportMap:
    """The text inside ``<script type="importmap">`` and the CSP source that allows it."""

    script: str
    script_source: str


def module_paths(static_path: str | Path) -> list[str]:
    """The modules under ``static_path``/js, subfolders included, as static paths (``js/dom.js``).

    Only what the static handler serves: a path it refuses (a hidden file,
    an odd name) would be a mapping to a 404.
    """
    root = Path(static_path)
    found = (
        path.relative_to(root).as_posix()
        for path in (root / "js").rglob("*")
        if path.suffix in MODULE_SUFFIXES and path.is_file()
    )
    return sorted(path for path in found if plain_static_path(path))


def script_text(imports: Mapping[str, str]) -> str:
    """The map as JSON that cannot end its script element.

    Every ``<`` is written as ``\\u003c``, which JSON reads back the same: no
    ``</script>`` or ``<!--`` can appear, whatever a path holds.
    """
    return json.dumps({"imports": dict(imports)}, sort_keys=True, separators=(",", ":")).replace(
        "<", "\\u003c"
    )


def build_import_map(settings: Mapping[str, Any]) -> ImportMap:
    """The map for an Application's ``settings`` (its static_path and static_url_prefix)."""
    prefix = settings.get("static_url_prefix", "/static/")
    handler: type[StaticHandler] = settings.get("static_handler_class", StaticHandler)
    # make_static_url takes a dict; Tornado caches each file's hash, so this reads each file once.
    static = dict(settings)
    imports = {
        prefix + path: handler.make_static_url(static, path) for path in module_paths(settings["static_path"])
    }
    script = script_text(imports)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return ImportMap(script=script, script_source=f"'sha256-{digest}'")
