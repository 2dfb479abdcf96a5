"""The process-wide malloc setting the mastering chain asks for."""

from __future__ import annotations

import platform

import pytest

from stemforge.audio.heap import use_one_arena


def test_one_arena_is_taken_on_glibc() -> None:
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    assert use_one_arena() is True
    assert use_one_arena() is True  # asked once, remembered


def test_numpy_asks_for_no_huge_pages() -> None:
    from numpy._core.multiarray import _set_madvise_hugepage  # type: ignore[attr-defined]

    from stemforge.audio.heap import no_numpy_huge_pages

    assert no_numpy_huge_pages() is True
    assert _set_madvise_hugepage(False) is False  # it returns the setting it replaces: already off
