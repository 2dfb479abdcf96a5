"""Signal processing building blocks: gain, pan laws, effect chains, dither."""

from stemforge.dsp.pan import channel_gains, db_to_gain, gain_to_db

__all__ = ["channel_gains", "db_to_gain", "gain_to_db"]
