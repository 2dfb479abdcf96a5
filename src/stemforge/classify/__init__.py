"""Track-to-stem classification: which stem does "18_LeadVox.wav" belong to?

``classify_tracks`` is the one function importers call; what lies behind it can be
swapped without touching them. It combines:

- :func:`classify_name`: the track name (``01_KickIn``, ``LV Dbl``, ``Voz Guía``);
- :func:`classify_audio` / :func:`classify_file`: a few seconds of the loudest part;
- :func:`classify_session`: both, then reasoning across the session's tracks.
"""

from stemforge.classify.audio import (
    Excerpt,
    Hearing,
    analyse_file,
    classify_audio,
    classify_file,
    excerpt,
    read_excerpt,
)
from stemforge.classify.features import AudioFeatures, measure
from stemforge.classify.names import classify_name
from stemforge.classify.roles import ROLES, Classification
from stemforge.classify.session import (
    NamedTrack,
    classify_session,
    classify_tracks,
    combine,
)
from stemforge.classify.tokens import Token, tokenize

__all__ = [
    "ROLES",
    "AudioFeatures",
    "Classification",
    "Excerpt",
    "Hearing",
    "NamedTrack",
    "Token",
    "analyse_file",
    "classify_audio",
    "classify_file",
    "classify_name",
    "classify_session",
    "classify_tracks",
    "combine",
    "excerpt",
    "measure",
    "read_excerpt",
    "tokenize",
]
