"""Kept for callers of the first rule set: the name rules now live in :mod:`.names`."""

from stemforge.classify.names import classify_name

__all__ = ["classify_name"]
