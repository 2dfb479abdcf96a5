"""A clean stem delivery built from the demo song (rendered once per test session)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from qa_deliveries import Delivery

DEMO_BARS = 4


def _from_demo(folder: Path) -> Delivery:
    from stemforge.demo import write_demo_tracks
    from stemforge.importers.folder import import_folder
    from stemforge.render import render_session

    write_demo_tracks(folder / "tracks", bars=DEMO_BARS)
    session, _, _ = import_folder(folder / "tracks", title="Night Owl")
    # Float render: the demo's default gains peak above full scale, which wav24 would clip.
    result = render_session(session, out_dir=folder / "render", fmt="wav32f")
    stems = {name: sf.read(path, dtype="float32", always_2d=True)[0].T for name, path in result.stems.items()}
    mix = sf.read(result.mix, dtype="float32", always_2d=True)[0].T
    # Bring the whole delivery below full scale (one gain for all, so the stems still sum to the mix).
    gain = np.float32(10 ** (-1.0 / 20) / max(float(np.abs(mix).max()), *(float(np.abs(s).max()) for s in stems.values())))
    roles = {s.name: s.role or s.name for s in session.stems}
    return Delivery("Night Owl", {k: v * gain for k, v in stems.items()}, mix * gain, result.sample_rate, roles)


@pytest.fixture(scope="session")
def demo_delivery(tmp_path_factory: pytest.TempPathFactory) -> Delivery:
    """The demo song rendered once per test session (4 bars)."""
    return _from_demo(tmp_path_factory.mktemp("demo-delivery"))
