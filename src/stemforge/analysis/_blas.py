"""Run small matrix products on one BLAS thread.

The true-peak interpolator is a sequence of modest matrix products. Multithreaded OpenBLAS
gains nothing on them and, on a machine busy with other work, its threads wait on each
other for many times the cost of the arithmetic. ``threadpoolctl`` limits BLAS to one thread
for the duration of the block; the controller is built once per process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

_controller: Any = None


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit BLAS libraries to one thread inside the ``with`` block."""
    global _controller
    try:
        if _controller is None:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        limiter = _controller.limit(limits=1, user_api="blas")
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        yield
        return
    with limiter:
        yield


_kept: Any = None


def use_one_blas_thread() -> None:
    """Limit BLAS libraries to one thread for the rest of the process (asked once).

    For work that runs its matrix products on several threads of its own (the mastering
    chain): OpenBLAS's own threads would only spin waiting for work (~0.3 CPU-seconds of a
    4-minute master). :func:`single_threaded_blas` blocks inside it leave the limit as they find it.
    """
    global _controller, _kept
    if _kept is not None:
        return
    try:
        if _controller is None:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        _kept = _controller.limit(limits=1, user_api="blas")
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        _kept = False


__all__ = ["single_threaded_blas", "use_one_blas_thread"]
