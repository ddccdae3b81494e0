"""Page tests wait with functions, which the chat page's Content-Security-Policy lets Playwright poll.

Playwright evaluates a bare ``wait_for_function`` expression again on each
poll with ``eval``; the page's policy refuses that once the first check has
come out false, so such a wait fails only on the runs where it has to wait
(tests/page_browser.py). A function is evaluated once, then called.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).parent
# "() => ...", "x => ...", "(a, b) => ...", "async () => ...", "function (...) {...}".
FUNCTION = re.compile(r"\s*(async\s+)?(\([^()]*\)|[A-Za-z_$][\w$]*)\s*=>|\s*(async\s+)?function\b")


def waited_expressions(source: str) -> list[tuple[int, str]]:
    """Each ``wait_for_function`` call's first argument written as a string: its line and its text
    (an f-string's text before its first replacement field)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "wait_for_function" or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.JoinedStr):
            leading = first.values[0] if first.values else None
            found.append((node.lineno, leading.value if isinstance(leading, ast.Constant) else ""))
        elif isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append((node.lineno, first.value))
    return found


def bare_expressions(source: str) -> list[tuple[int, str]]:
    """The waits given an expression rather than a function."""
    return [(line, text) for line, text in waited_expressions(source) if not FUNCTION.match(text)]


def test_the_rule_tells_a_function_from_an_expression() -> None:
    """The forms the tests use are functions; the form that failed is not."""
    source = """
page.wait_for_function("() => window.__notes.length >= 1")
page.wait_for_function("first => document.title !== first", arg=first)
page.wait_for_function("(sel) => document.querySelector(sel)", arg="#x")
page.wait_for_function(f"() => {player}.readyState >= 1")
page.wait_for_function("window.__notes.length >= 1")
page.wait_for_function(f"{player}.readyState >= 1")
"""
    assert bare_expressions(source) == [(6, "window.__notes.length >= 1"), (7, "")]


def test_no_page_test_waits_on_a_bare_expression() -> None:
    """Every wait_for_function in the tests is given a function."""
    found = {
        f"{path.name}:{line}": text
        for path in sorted(TESTS.glob("*.py"))
        if path.name != Path(__file__).name
        for line, text in bare_expressions(path.read_text())
    }
    assert found == {}
