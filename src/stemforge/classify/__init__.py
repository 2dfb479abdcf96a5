"""Track-to-stem classification: which stem does "18_LeadVox.wav" belong to?

``classify_tracks`` is the one function importers call; what lies behind it can be
swapped without touching them.
"""

from stemforge.classify.names import classify_name, tokenize
from stemforge.classify.roles import ROLES, Classification
from stemforge.classify.session import classify_tracks

__all__ = ["ROLES", "Classification", "classify_name", "classify_tracks", "tokenize"]
