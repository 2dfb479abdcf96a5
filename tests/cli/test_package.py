"""`stemforge package` and `stemforge verify` as a user would run them, from tracks to a checked zip."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest

from helpers import assert_user_error

RATE = 48000


@pytest.fixture
def project(tmp_path: Path, wav) -> Path:
    """A client's tracks, and the session `stemforge init` made of them."""
    rng = np.random.default_rng(9)
    t = np.arange(RATE) / RATE
    tracks = tmp_path / "Song" / "tracks"
    wav(tracks / "01_Kick.wav", (0.2 * np.sin(2 * np.pi * 60 * t) * np.exp(-((t * 4) % 1) * 10))[None, :])
    wav(tracks / "07_BassDI.wav", (0.2 * np.sin(2 * np.pi * 55 * t))[None, :])
    wav(tracks / "18_LeadVox.wav", (0.05 * rng.standard_normal(RATE))[None, :])
    return tracks.parent


@pytest.fixture
def render_dir(cli, project: Path) -> Path:
    assert cli("init", project / "tracks", "-o", project / "session.toml").code == 0
    result = cli("render", project / "session.toml", "-o", project / "render")
    assert result.code == 0, result.err
    return project / "render"


def test_package_a_render_folder_then_verify_and_extract(cli, unchanged, render_dir: Path, tmp_path: Path) -> None:
    same = unchanged(render_dir)
    package = tmp_path / "out" / "Song stems.zip"
    result = cli("package", render_dir, "-o", package)
    assert result.code == 0, result.err
    assert "wrote" in result.out and package.is_file()
    same()
    with zipfile.ZipFile(package) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert {"manifest.json", "README.txt", "mix.wav"} <= set(z.namelist())
    assert {s["role"] for s in manifest["stems"]} >= {"drums", "bass", "lead_vocals"}
    assert all(s["frames"] == manifest["mix"]["frames"] == RATE for s in manifest["stems"])

    same_zip = unchanged(package)
    result = cli("verify", package, "--extract", tmp_path / "extracted")
    assert result.code == 0, result.out + result.err
    assert "OK" in result.out and "extracted into" in result.out
    assert (tmp_path / "extracted" / "mix.wav").read_bytes() == (render_dir / "mix.wav").read_bytes()
    data = json.loads(cli("verify", package, "--json").out)
    assert data["ok"] is True and data["files_checked"] == 1 + len(manifest["stems"]) and data["issues"] == []
    same_zip()


def test_package_a_session_renders_it_first(cli, unchanged, project: Path, tmp_path: Path) -> None:
    assert cli("init", project / "tracks", "-o", project / "session.toml").code == 0
    same = unchanged(project)
    result = cli("package", project / "session.toml", "-o", tmp_path / "s.zip", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["manifest"]["title"] and len(data["manifest"]["stems"]) >= 3
    assert cli("verify", tmp_path / "s.zip").code == 0
    same()
    assert not (project / "render").exists()  # the session's render went to a temporary folder


def test_verify_fails_on_a_changed_byte(cli, render_dir: Path, tmp_path: Path) -> None:
    package = tmp_path / "p.zip"
    assert cli("package", render_dir, "-o", package, "--no-checks").code == 0
    data = bytearray(package.read_bytes())
    with zipfile.ZipFile(package) as z:
        info = z.getinfo("mix.wav")
    data[info.header_offset + 30 + len(info.filename) + len(info.extra) + 1000] ^= 0xFF
    package.write_bytes(bytes(data))
    result = cli("verify", package, "--extract", tmp_path / "x")
    assert result.code == 1
    assert "mix.wav" in result.out and "nothing was extracted" in result.out
    assert not (tmp_path / "x").exists()


def test_verify_refuses_a_newer_schema(cli, render_dir: Path, tmp_path: Path) -> None:
    package = tmp_path / "p.zip"
    assert cli("package", render_dir, "-o", package, "--no-checks").code == 0
    newer = tmp_path / "newer.zip"
    with zipfile.ZipFile(package) as old, zipfile.ZipFile(newer, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "manifest.json":
                data = json.dumps(json.loads(data) | {"schema_version": 99}).encode()
            new.writestr(info, data)
    result = cli("verify", newer)
    assert_user_error(result, r"manifest\.json: schema_version 99 is newer than this stemforge understands")
    assert "tip: upgrade stemforge" in result.err


def test_verify_refuses_a_symlink_entry(cli, render_dir: Path, tmp_path: Path) -> None:
    package = tmp_path / "p.zip"
    assert cli("package", render_dir, "-o", package, "--no-checks").code == 0
    with zipfile.ZipFile(package, "a") as z:
        link = zipfile.ZipInfo("stems/escape")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "../../../../etc")
    result = cli("verify", package, "--extract", tmp_path / "x", "--json")
    assert result.code == 1
    issues = json.loads(result.out)["issues"]
    assert [(i["kind"], i["file"]) for i in issues] == [("unsafe-entry", "stems/escape")]
    assert not (tmp_path / "x").exists()


def test_bad_inputs_exit_2(cli, render_dir: Path, tmp_path: Path) -> None:
    assert_user_error(cli("package", tmp_path / "nope", "-o", tmp_path / "x.zip"), r"nope: no such file or folder")
    assert_user_error(cli("package", tmp_path, "-o", tmp_path / "x.zip"), r"not a render folder")
    assert_user_error(cli("package", render_dir, "-o", tmp_path / "x.tar"), r"must be a \.zip")
    (tmp_path / "notes.txt").write_text("hi")
    assert_user_error(cli("package", tmp_path / "notes.txt", "-o", tmp_path / "x.zip"), r"not a session file")
    assert_user_error(cli("verify", tmp_path / "gone.zip"), r"gone\.zip: no such file")
    assert_user_error(cli("verify", tmp_path / "notes.txt"), r"not a readable zip file")
    assert not (tmp_path / "x.zip").exists()
