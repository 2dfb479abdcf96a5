"""The ``stemforge`` command: registers every command and maps errors to exit codes.

``main(argv) -> int`` is the one place where exceptions become exit codes: 0 success,
1 a check failed (returned by the command), 2 a usage or input error (a one-line
message on stderr, with a ``tip:`` where one helps, never a traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from stemforge.cli._common import err
from stemforge.errors import StemforgeError

app = typer.Typer(
    name="stemforge",
    help="Stems, mixdowns, loudness and mastering for producers, mixing and mastering engineers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)



@app.callback()
def _root() -> None:
    """Stems, mixdowns, loudness and mastering for producers, mixing and mastering engineers."""


# Each command module adds its command to `app` when imported.
from stemforge.cli import analyze as _analyze  # noqa: E402,F401
from stemforge.cli import check as _check  # noqa: E402,F401
from stemforge.cli import classify as _classify  # noqa: E402,F401
from stemforge.cli import demo as _demo  # noqa: E402,F401
from stemforge.cli import export as _export  # noqa: E402,F401
from stemforge.cli import info as _info  # noqa: E402,F401
from stemforge.cli import package as _package  # noqa: E402,F401
from stemforge.cli import init as _init  # noqa: E402,F401
from stemforge.cli import master as _master  # noqa: E402,F401
from stemforge.cli import render as _render  # noqa: E402,F401


def _error(message: str, tip: str | None = None) -> None:
    err.print(f"error: {message}", markup=False)
    if tip:
        err.print(f"tip: {tip}", markup=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Commands signal a failed check with ``raise typer.Exit(1)``; usage errors found by the
    argument parser exit 2 with its own message.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, prog_name="stemforge")
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        _error(str(exc.code))
        return 2
    except StemforgeError as exc:
        _error(exc.message, exc.tip)
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except OSError as exc:
        # Disk full, permission denied and the like: name the file, no traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"{where}{exc.strerror or exc}")
        return 2
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


__all__ = ["app", "main", "run"]
