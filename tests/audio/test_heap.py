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


_REUSE = """
import resource, sys
import numpy as np
from stemforge.audio.heap import keep_freed_blocks
if sys.argv[1] == "keep":
    assert keep_freed_blocks()
faults = 0
for round in range(4):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = [np.empty(1 << 20, np.float32) for _ in range(8)]  # 8 blocks of 4 MB
    for b in blocks:
        b.fill(1.0)
    del blocks
    if round:
        faults += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(faults)
"""


def test_freed_blocks_are_reused_without_faulting_their_pages_again() -> None:
    """With glibc's own settings, freed 4 MB blocks are unmapped or trimmed off the heap, and fault in again when reused."""
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    import subprocess
    import sys

    def faults(mode: str) -> int:
        return int(subprocess.run([sys.executable, "-c", _REUSE, mode], check=True, capture_output=True, text=True).stdout)

    default, kept = faults("default"), faults("keep")
    assert 4 * kept < default, (default, kept)
