"""What the numba-compiled stages share: where they apply, and how they are compiled.

The compiled stages (:mod:`~stemforge.dsp.freeverb`, :mod:`~stemforge.dsp.ballistics`)
repeat pedalboard's float32 arithmetic operation by operation. That holds where
pedalboard is built for x86: there JUCE's ``JUCE_UNDENORMALISE`` adds and subtracts 0.1
and compilers do not fuse multiply-adds unless asked. Elsewhere the effects stay with
pedalboard.

Kernels are compiled without ``fastmath`` (which would reorder the float operations),
release the GIL (the render's threads run them in parallel) and are cached beside their
module, so only the first render after an install pays for compiling them.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from typing import Any

from numba import njit

_X86 = ("x86_64", "amd64", "i386", "i686", "x86")


def available() -> bool:
    """True where the compiled stages give pedalboard's samples (x86 machines)."""
    return platform.machine().lower() in _X86


def kernel(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compile ``fn`` with numba: no fastmath, GIL released, cached on disk."""
    return njit(nogil=True, cache=True)(fn)  # type: ignore[no-any-return]


__all__ = ["available", "kernel"]
