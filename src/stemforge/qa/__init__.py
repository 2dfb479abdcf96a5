"""Stem delivery QA: format and level checks, the null test and the causes of a failed null.

``check_delivery(stems_dir, mix=...)`` runs every check and returns a frozen
:class:`DeliveryReport`; each finding carries a stable code from :data:`CODES`
(documented in docs/qa.md).
"""

from stemforge.qa.delivery import check_delivery, find_stem_files
from stemforge.qa.model import (
    CODES,
    CheckCode,
    DeliveryReport,
    Finding,
    Severity,
    StemSummary,
)
from stemforge.qa.null import NULL_PASS_DB

__all__ = [
    "CODES",
    "NULL_PASS_DB",
    "CheckCode",
    "DeliveryReport",
    "Finding",
    "Severity",
    "StemSummary",
    "check_delivery",
    "find_stem_files",
]
