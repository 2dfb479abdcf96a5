"""Stem packages: what goes in, and verify catching every kind of damage."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
import soundfile as sf
from pkg_helpers import entry, make_render_folder, rewrite_zip

from stemforge.errors import InputNotFoundError, OutputError, StemforgeError, UsageError
from stemforge.export import MANIFEST_SCHEMA_VERSION, ManifestError, build_package, verify_package


@pytest.fixture(scope="module")
def render_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_render_folder(tmp_path_factory.mktemp("render"))


@pytest.fixture(scope="module")
def package(render_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(render_dir, out=tmp_path_factory.mktemp("pkg") / "Test Song.zip").path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def kinds(report) -> set[str]:
    return {i.kind for i in report.issues if i.severity == "fail"}


def test_package_contents_and_manifest(package: Path, render_dir: Path) -> None:
    with zipfile.ZipFile(package) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
        readme = z.read("README.txt").decode()
    assert names == {"mix.wav", "manifest.json", "README.txt"} | {f"stems/Test Song - {n}.wav" for n in ("drums", "bass", "lead_vocals")}
    assert manifest["schema_version"] == MANIFEST_SCHEMA_VERSION and manifest["format"] == "stemforge-stem-package"
    assert manifest["title"] == "Test Song" and manifest["artist"] == "The Testers"
    assert manifest["tempo_bpm"] == 120.0 and manifest["key"] == "A minor"
    assert manifest["sample_rate"] == 48000 and manifest["bit_depth"] == 24 and manifest["tap_point"] == "pre-master"
    for item in [manifest["mix"], *manifest["stems"]]:
        assert item["sha256"] == sha(render_dir / item["file"])
        assert item["frames"] == sf.info(render_dir / item["file"]).frames == 96000
        assert isinstance(item["integrated_lufs"], float) and isinstance(item["true_peak_dbtp"], float)
    assert [s["role"] for s in manifest["stems"]] == ["drums", "bass", "lead_vocals"]
    assert [s["tracks"] for s in manifest["stems"]] == [["drums"], ["bass"], ["lead_vocals"]]
    assert "bass: bass" in readme
    assert manifest["qa"]["status"] in ("pass", "warn") and manifest["qa"]["null_residual_db"] < -90
    assert "Test Song by The Testers" in readme and "120 BPM" in readme and "stemforge verify" in readme


def test_clean_package_verifies_and_extracts_byte_identical(package: Path, render_dir: Path, tmp_path: Path) -> None:
    report = verify_package(package, extract=tmp_path / "out")
    assert report.ok and report.files_checked == 4 and not report.issues
    for item in [report.manifest["mix"], *report.manifest["stems"]]:
        assert sha(tmp_path / "out" / item["file"]) == sha(render_dir / item["file"])
    assert not list((tmp_path / "out").rglob(".*partial*"))


def test_changed_byte_in_the_zip_is_caught(package: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.zip"
    data = bytearray(package.read_bytes())
    with zipfile.ZipFile(package) as z:
        info = z.getinfo("stems/Test Song - bass.wav")
    data[info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 5000] ^= 0x01
    damaged.write_bytes(bytes(data))
    report = verify_package(damaged)
    assert not report.ok and "checksum-mismatch" in kinds(report)
    assert [i.file for i in report.issues] == ["stems/Test Song - bass.wav"]


def test_changed_file_with_consistent_zip_is_caught_by_sha256(package: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(package) as z:
        audio = bytearray(z.read("mix.wav"))
    audio[-1] ^= 0x10
    report = verify_package(rewrite_zip(package, tmp_path / "x.zip", replace={"mix.wav": bytes(audio)}))
    assert kinds(report) == {"checksum-mismatch"}
    assert "does not match" in report.issues[0].message


def test_missing_file(package: Path, tmp_path: Path) -> None:
    report = verify_package(rewrite_zip(package, tmp_path / "x.zip", drop=["stems/Test Song - drums.wav"]))
    assert kinds(report) == {"missing-file"}
    assert report.issues[0].file == "stems/Test Song - drums.wav"


def test_length_mismatch_from_the_header(package: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(package) as z:
        manifest = json.loads(z.read("manifest.json"))
    for stem in manifest["stems"]:
        if stem["name"] == "bass":
            stem["frames"] += 480

    def edit(doc: dict) -> None:
        doc["stems"] = manifest["stems"]

    report = verify_package(rewrite_zip(package, tmp_path / "x.zip", manifest=edit))
    assert kinds(report) == {"length-mismatch"}
    assert "96000 frames" in report.issues[0].message


def test_newer_schema_is_refused(package: Path, tmp_path: Path) -> None:
    newer = rewrite_zip(package, tmp_path / "x.zip", manifest=lambda d: d.update(schema_version=MANIFEST_SCHEMA_VERSION + 1))
    with pytest.raises(ManifestError, match=r"schema_version 2 is newer than this stemforge understands \(1\)"):
        verify_package(newer)


def test_invalid_manifest_is_a_failure(package: Path, tmp_path: Path) -> None:
    report = verify_package(rewrite_zip(package, tmp_path / "x.zip", manifest=lambda d: d.pop("stems")))
    assert kinds(report) == {"invalid-manifest"}
    report = verify_package(rewrite_zip(package, tmp_path / "y.zip", drop=["manifest.json"]))
    assert kinds(report) == {"missing-manifest"}


@pytest.mark.parametrize(
    ("name", "symlink", "reason"),
    [
        ("../evil.txt", False, "outside the folder"),
        ("stems/../../evil.txt", False, "outside the folder"),
        ("..\\evil.txt", False, "outside the folder"),
        ("/tmp/evil.txt", False, "absolute path"),
        ("C:/evil.txt", False, "drive letter"),
        ("C:evil.txt", False, "drive letter"),
        ("stems/link.wav", True, "symbolic link"),
    ],
)
def test_entries_pointing_outside_are_refused(package: Path, tmp_path: Path, name: str, symlink: bool, reason: str) -> None:
    payload = b"/etc/passwd" if symlink else b"gotcha"
    bad = rewrite_zip(package, tmp_path / "bad.zip", add=[(entry(name, symlink=symlink), payload)])
    target = tmp_path / "deep" / "target"
    report = verify_package(bad, extract=target)
    assert not report.ok and kinds(report) == {"unsafe-entry"}
    assert reason in report.issues[0].message
    assert report.extracted_to is None and not target.exists()
    assert not (tmp_path / "deep" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()


def test_extract_never_overwrites(package: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mix.wav").write_bytes(b"keep me")
    with pytest.raises(OutputError, match="already exists"):
        verify_package(package, extract=tmp_path / "out")
    assert (tmp_path / "out" / "mix.wav").read_bytes() == b"keep me"


def test_unlisted_file_is_a_warning(package: Path, tmp_path: Path) -> None:
    report = verify_package(rewrite_zip(package, tmp_path / "x.zip", add=[(entry("notes.txt"), b"hi")]))
    assert report.ok and [(i.kind, i.severity) for i in report.issues] == [("unlisted-file", "warn")]


def test_bad_inputs(tmp_path: Path, render_dir: Path) -> None:
    with pytest.raises(InputNotFoundError):
        verify_package(tmp_path / "none.zip")
    (tmp_path / "fake.zip").write_bytes(b"not a zip")
    with pytest.raises(UsageError, match="not a readable zip"):
        verify_package(tmp_path / "fake.zip")
    with pytest.raises(UsageError, match="not a render folder"):
        build_package(tmp_path, out=tmp_path / "x.zip")
    with pytest.raises(UsageError, match=r"must be a \.zip"):
        build_package(render_dir, out=tmp_path / "x.tar")


def test_package_never_overwrites_an_input(tmp_path: Path) -> None:
    folder = make_render_folder(tmp_path / "render", frames=4800)
    (folder / "old.zip").write_bytes(b"an input")
    with pytest.raises(OutputError, match="overwrite an input"):
        build_package(folder, out=folder / "old.zip")
    assert (folder / "old.zip").read_bytes() == b"an input"


def test_failed_package_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = make_render_folder(tmp_path / "render", frames=4800)
    (folder / "stems" / "Test Song - bass.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(StemforgeError, match="bass.wav"):
        build_package(folder, out=tmp_path / "out" / "p.zip")
    assert not (tmp_path / "out" / "p.zip").exists()
    assert not list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True
