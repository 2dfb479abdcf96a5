"""Exports: stem packages (zip with manifest and checksums) and their verification; NI Stems.

``build_package(source, out=...)`` and ``verify_package(zip, extract=...)`` live in
:mod:`~stemforge.export.package` and :mod:`~stemforge.export.verify`; the Native
Instruments Stems writer in :mod:`~stemforge.export.ni_stems` (needs ffmpeg).
"""

from stemforge.export.manifest import MANIFEST_SCHEMA_VERSION, ManifestError, readme_text, validate_manifest
from stemforge.export.package import PackageResult, build_manifest, build_package
from stemforge.export.verify import VerifyIssue, VerifyReport, verify_package

__all__ = [
    "MANIFEST_SCHEMA_VERSION",
    "ManifestError",
    "PackageResult",
    "VerifyIssue",
    "VerifyReport",
    "build_manifest",
    "build_package",
    "readme_text",
    "validate_manifest",
    "verify_package",
]
