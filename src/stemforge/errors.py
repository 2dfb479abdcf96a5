"""The one exception hierarchy of stemforge.

Every error a user can cause is a :class:`StemforgeError`; the command line maps it to
a one-line message (plus an optional ``tip:``) and exit code 2, never a traceback.
Each class also subclasses the builtin it resembles, so callers may catch either::

    StemforgeError (Exception)            exit_code = 2, .tip
    ├── UsageError (ValueError)           an option or argument out of range
    ├── SessionError (ValueError)         session file: syntax, unknown key, bad value
    ├── AudioFormatError (ValueError)     unreadable, corrupt, truncated or unsupported audio
    ├── InputNotFoundError (FileNotFoundError)
    ├── OutputError (OSError)             an output that would overwrite an input, or cannot be written
    ├── RenderError (RuntimeError)        the render graph cannot be built or run
    ├── AnalysisError (ValueError)        a measurement that cannot be made on this audio
    └── MissingDependencyError (ImportError)  an optional extra or system tool is absent
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class StemforgeError(Exception):
    """Base of every error a user of stemforge can cause.

    Parameters
    ----------
    message : str
        One line naming the thing (file, session key, option) and the problem.
    tip : str, optional
        A hint printed after the message as ``tip: ...``.
    """

    exit_code: int = 2

    def __init__(self, message: str, *, tip: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tip = tip

    def __str__(self) -> str:
        return self.message


class UsageError(StemforgeError, ValueError):
    """An option or argument is out of range or inconsistent."""


class SessionError(StemforgeError, ValueError):
    """A session file cannot be parsed or holds an invalid value."""


class AudioFormatError(StemforgeError, ValueError):
    """An audio file is unreadable, corrupt, truncated or of an unsupported layout."""


class InputNotFoundError(StemforgeError, FileNotFoundError):
    """An input file or folder does not exist."""


class OutputError(StemforgeError, OSError):
    """An output cannot be written, or would overwrite an input."""


class RenderError(StemforgeError, RuntimeError):
    """The render graph cannot be built or run."""


class AnalysisError(StemforgeError, ValueError):
    """A measurement cannot be made on the given audio."""


class MissingDependencyError(StemforgeError, ImportError):
    """An optional Python extra or a system tool (ffmpeg) is not installed."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ``; did you mean "x"?`` suffix for a message when ``word`` is close to a candidate, else ``""``."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


__all__ = [
    "AnalysisError",
    "AudioFormatError",
    "InputNotFoundError",
    "MissingDependencyError",
    "OutputError",
    "RenderError",
    "SessionError",
    "StemforgeError",
    "UsageError",
    "did_you_mean",
]
