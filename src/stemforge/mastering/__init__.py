"""Mastering from a stereo mix, a folder of stems or a session, to delivery targets.

The chain reads top-down in :mod:`stemforge.mastering.pipeline`: stem rebalance → tonal EQ
and reference matching → glue and width → loudness gain → true-peak limiting → deliverables
(SRC, TPDF dither, encoding; each verified against the ceiling) → previews → report.

>>> from stemforge.mastering import MasterSettings, master
>>> result = master("mix.wav", MasterSettings(target="streaming"), out_dir="mastered")
>>> result.level.limit.output_lufs, result.level.limit.output_true_peak_dbtp
"""

from stemforge.mastering.delivery import Deliverable
from stemforge.mastering.inputs import MasterInput, open_input
from stemforge.mastering.limiter import (
    LimiterSettings,
    limit_true_peak,
    true_peak_envelope,
)
from stemforge.mastering.loudness import (
    GainStage,
    LevelResult,
    LimitStage,
    reach_loudness,
)
from stemforge.mastering.pipeline import InputStage, MasterResult, master
from stemforge.mastering.report import MASTER_SCHEMA_VERSION, OUTPUT_NAMES
from stemforge.mastering.settings import (
    DELIVERABLES,
    PRESETS,
    EqBand,
    MasterSettings,
    StemCompression,
    StemMove,
    merge_moves,
    parse_stem_option,
    resolve_target,
)
from stemforge.mastering.stems import RebalanceStage, StemReport
from stemforge.mastering.tonal import TonalStage, spectral_distance_db

__all__ = [
    "DELIVERABLES",
    "MASTER_SCHEMA_VERSION",
    "OUTPUT_NAMES",
    "PRESETS",
    "Deliverable",
    "EqBand",
    "GainStage",
    "InputStage",
    "LevelResult",
    "LimitStage",
    "LimiterSettings",
    "MasterInput",
    "MasterResult",
    "MasterSettings",
    "RebalanceStage",
    "StemCompression",
    "StemMove",
    "StemReport",
    "TonalStage",
    "limit_true_peak",
    "master",
    "merge_moves",
    "open_input",
    "parse_stem_option",
    "reach_loudness",
    "resolve_target",
    "spectral_distance_db",
    "true_peak_envelope",
]
