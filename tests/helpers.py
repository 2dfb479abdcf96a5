"""Assertions shared by the command-line tests."""

from __future__ import annotations

import re
from typing import Any


def assert_user_error(result: Any, pattern: str) -> None:
    """Exit 2, one ``error:`` line matching ``pattern`` (and at most ``tip:`` lines), no traceback."""
    assert result.code == 2, (result.out, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: "), result.err
    assert all(line.startswith(("error: ", "tip: ")) for line in lines), result.err
    assert len([line for line in lines if line.startswith("error: ")]) == 1, result.err
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in result.err + result.out
