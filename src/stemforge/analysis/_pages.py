"""A growing array built from small pieces, kept in pages so that long files stay cheap.

The meter keeps a few numbers per 100 ms. Held as one small array per internal block,
Python's per-object overhead would be several times the data; gathering every
``PAGE_PIECES`` pieces into one page keeps memory at about the size of the data itself
(a few MiB for a two-hour file) without ever re-copying what is already paged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

#: Pieces gathered into one page.
PAGE_PIECES = 256


class PagedArray:
    """Append arrays along their last axis; read the whole with :meth:`concatenate`."""

    def __init__(self) -> None:
        self._pages: list[npt.NDArray[Any]] = []
        self._pieces: list[npt.NDArray[Any]] = []

    def __len__(self) -> int:
        return len(self._pages) + len(self._pieces)

    def append(self, piece: npt.NDArray[Any]) -> None:
        """Add ``piece`` at the end."""
        self._pieces.append(piece)
        if len(self._pieces) >= PAGE_PIECES:
            self._pages.append(np.concatenate(self._pieces, axis=-1))
            self._pieces = []

    def copy(self) -> PagedArray:
        """An independent copy (pages are never modified, so they are shared)."""
        other = PagedArray()
        other._pages = list(self._pages)
        other._pieces = list(self._pieces)
        return other

    def concatenate(self, empty: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Everything appended, as one array (``empty`` when nothing was)."""
        parts = self._pages + self._pieces
        return np.concatenate(parts, axis=-1) if parts else empty


__all__ = ["PAGE_PIECES", "PagedArray"]
