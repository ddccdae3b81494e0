"""PostgreSQL statements with numbered placeholders: the conversion kept per statement text."""

from chatroom.store.pg_numbered import numbered


def test_placeholders_are_numbered_in_order() -> None:
    assert numbered("SELECT %s, %s FROM t WHERE a = %s") == "SELECT $1, $2 FROM t WHERE a = $3"


def test_a_doubled_percent_is_a_percent_sign() -> None:
    assert numbered("SELECT 7 %% 3, %s WHERE b LIKE 'x%%'") == "SELECT 7 % 3, $1 WHERE b LIKE 'x%'"


def test_a_statement_without_placeholders_is_unchanged() -> None:
    assert numbered("SELECT 1") == "SELECT 1"
