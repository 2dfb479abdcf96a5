"""Importers turn what a client sends (a folder of files, a DAW project) into a Session.

Importers only read: an input file is never opened for writing.
"""

from stemforge.importers.folder import FoundTrack, import_folder, scan_folder

__all__ = ["FoundTrack", "import_folder", "scan_folder"]
