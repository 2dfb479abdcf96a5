"""What every command shares: consoles, JSON output, progress bars."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

#: Results go to stdout; messages, warnings and progress to stderr.
# Piped output gets a wide console so tables are not folded to 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=None if sys.stderr.isatty() else 160)


def print_json(data: Any) -> None:
    """Print machine-readable output on stdout (one JSON document)."""
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False, default=str) + "\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    """Print a one-line warning on stderr."""
    err.print(f"[yellow]warning:[/yellow] {message}", markup=True)


@contextlib.contextmanager
def progress(description: str, *, total: float | None, enabled: bool | None = None) -> Iterator[Any]:
    """A progress bar on stderr, shown only when stderr is a terminal.

    Yields a callable ``advance(amount)``.
    """
    show = err.is_terminal if enabled is None else enabled
    if not show:
        yield lambda amount=1.0: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda amount=1.0: bar.advance(task, amount)


__all__ = ["err", "out", "print_json", "progress", "warn"]
