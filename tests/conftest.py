"""Fixtures every test may use: a CLI runner and a byte-for-byte snapshot of inputs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


@dataclass(frozen=True)
class CliResult:
    """What a command printed and returned."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``stemforge ARGS...`` in-process as a user would; returns code, stdout, stderr."""
    from stemforge.cli.main import main

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def file_hashes(paths: Iterable[Path]) -> dict[Path, str]:
    """SHA-256 of each file (recursing into folders)."""
    result: dict[Path, str] = {}
    for path in paths:
        files = sorted(p for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() else [Path(path)]
        for f in files:
            result[f] = hashlib.sha256(f.read_bytes()).hexdigest()
    return result


@pytest.fixture
def unchanged() -> Callable[..., Callable[[], None]]:
    """``check = unchanged(paths...)`` snapshots inputs; ``check()`` asserts they are byte-identical."""

    def snapshot(*paths: Path) -> Callable[[], None]:
        before = file_hashes(paths)

        def check() -> None:
            after = file_hashes(paths)
            assert after == before, "inputs were modified"

        return check

    return snapshot


def write_wav(path: Path, samples: np.ndarray, sample_rate: int = 48000, subtype: str = "PCM_24") -> Path:
    """Write float samples shaped (channels, frames) to a WAV file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.asarray(samples, dtype=np.float32).T, sample_rate, subtype=subtype)
    return path


@pytest.fixture
def wav() -> Callable[..., Path]:
    """``wav(path, samples, sample_rate=48000, subtype="PCM_24")`` writes a test file."""
    return write_wav
