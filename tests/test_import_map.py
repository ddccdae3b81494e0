"""The pages' import map: which files it lists, and JSON that stays inside its script element."""

from __future__ import annotations

import json
from pathlib import Path

from chatroom.import_map import build_import_map, module_paths, script_text


def test_modules_in_subfolders_are_listed_and_what_is_not_served_is_not(tmp_path: Path) -> None:
    """Every .js and .mjs under js/, subfolders too; a hidden or oddly named file (a 404) is left out."""
    for name in ("app.js", "views/list.js", "worker.mjs", ".hidden.js", "two words.js", "notes.txt"):
        (tmp_path / "js" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "js" / name).write_text("export {};\n")
    (tmp_path / "chat.css").write_text("body {}\n")
    assert module_paths(tmp_path) == ["js/app.js", "js/views/list.js", "js/worker.mjs"]


def test_the_map_cannot_end_its_script_element() -> None:
    """A path holding </script> or <!-- is written with \\u003c: the element ends where the page ends it."""
    hostile = {"/static/js/a.js": "/x.js?</script><script>alert(1)</script><!--"}
    text = script_text(hostile)
    assert "<" not in text
    assert json.loads(text) == {"imports": hostile}


def test_each_module_maps_to_its_versioned_url_under_the_prefix(tmp_path: Path) -> None:
    """The plain URL a relative import resolves to goes to the one with the file's version."""
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "dom.js").write_text("export const a = 1;\n")
    made = build_import_map({"static_path": str(tmp_path), "static_url_prefix": "/assets/"})
    imports = json.loads(made.script)["imports"]
    assert list(imports) == ["/assets/js/dom.js"]
    assert imports["/assets/js/dom.js"].startswith("/assets/js/dom.js?v=")
    assert made.script_source.startswith("'sha256-") and made.script_source.endswith("='")
