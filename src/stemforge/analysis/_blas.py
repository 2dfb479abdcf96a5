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


__all__ = ["single_threaded_blas"]
