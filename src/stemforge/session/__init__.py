"""The session model and its file format (``session.toml``)."""

from stemforge.session.model import EXCLUDE, TARGETS, Clip, Master, Return, Send, Session, Stem, Track
from stemforge.session.toml import load_session, save_session

__all__ = ["EXCLUDE", "TARGETS", "Clip", "Master", "Return", "Send", "Session", "Stem", "Track", "load_session", "save_session"]
