"""stemforge: stems, mixdowns, loudness and mastering for music production.

The public API is gathered here; everything else lives in private-by-convention
sub-packages, one concept each (see docs/architecture.md).
"""

from stemforge.errors import (
    AnalysisError,
    AudioFormatError,
    InputNotFoundError,
    MissingDependencyError,
    OutputError,
    RenderError,
    SessionError,
    StemforgeError,
    UsageError,
)

__version__ = "0.1.0"

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
    "__version__",
]
