"""A whole session's tracks → stem roles: name and audio combined, then reasoned across tracks.

Per track, the name decides (:func:`~stemforge.classify.names.classify_name`); the audio
(:func:`~stemforge.classify.audio.analyse_file`) is heard for every track that has files and
decides when the name says nothing (``Audio 07``). A name the audio contradicts keeps its
role unless the audio is at least 0.15 surer than the name (a lone ``Lead`` at 0.35 against
a voice at 0.52; never a plain instrument name at 0.9, as the audio says at most 0.85); the
reason says which won (``name says "vocals", audio looks like drums; name wins``).

Across tracks:

- words every track name shares (a song title: ``Bass Lake_Kick``, ``Bass Lake_Audio 3``)
  do not decide a role;
- parts of one source stay together: tracks whose names differ only by position, mic,
  channel or number (``Gtr L``/``Gtr R``/``Gtr DI``, ``Bass DI``/``Bass Amp``,
  ``Kick In``/``Kick Out``/``Kick Sub``) get the role of the surest of them;
- several takes of one vocal (``Vox 1``, ``Vox 2``, ``Vox 3``) keep one lead (the one
  named lead or main, else the unnumbered or first, else the longest active, else the
  loudest) and make the others backing vocals; named sections (``Verse``, ``Hook``) all
  stay lead;
- a session whose only vocals are players' mics (``Gtr Vox``) has its lead among them;
- a lone ``Sub`` next to kick mics and a bass track is the sub-kick mic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from stemforge.classify.audio import EXCERPT_S, Hearing, analyse_file
from stemforge.classify.lexicon import DAW_DEFAULT_WORDS, LEAD_MARKERS, word_set
from stemforge.classify.names import classify_name, tokenize
from stemforge.classify.roles import Classification
from stemforge.errors import StemforgeError, UsageError

#: Words that name where a source was picked up, not what it is.
_POSITION_WORDS = word_set(
    """
    l r m s c left right lt rt links rechts gauche droite izq der sinistra destra mono stereo
    st ms in out inside outside top bot btm bottom up down under over front back reso port
    beater di dir direct amp mic mics cab line close far near dry wet sub trig trigger sample
    smpl oben unten dentro fuera sopra sotto dessus dessous arriba abajo innen aussen sm57 sm58
    sm7 sm7b u87 u47 u67 m81 m88 414 c414 d112 d6 beta beta52 beta91 e602 e604 e609 e906 md421
    km184 km84 r121 re20 re27 nt1 tlm103 c12 4038 royer ribbon fet sh comp comped edit edited
    tuned final take tk v ver version bip dup copy cnsl consolidated
    """
)
_SECTION_WORDS = word_set(
    """
    verse hook chorus bridge intro outro pre prechorus rap rapper mc feat feature spoken
    """
)
_KICK_WORDS = word_set("kick kik kck bd bassdrum")
_PLAYER_MIC = ": the player's vocal mic"
#: How much surer than the name the audio must be to overrule it.
_OVERRULE_MARGIN = 0.15
_COMPATIBLE = {
    "drums": frozenset({"drums", "percussion"}),
    "bass": frozenset({"bass"}),
    "lead_vocals": frozenset({"lead_vocals", "backing_vocals"}),
}


@runtime_checkable
class NamedTrack(Protocol):
    """What classification needs of a track: its name (``files`` is optional)."""

    @property
    def name(self) -> str: ...


def _files(track: NamedTrack) -> tuple[Path, ...]:
    files = getattr(track, "files", None) or ()
    return tuple(Path(f) for f in files)


def _listen(track: NamedTrack, seconds: float) -> Hearing | None:
    files = _files(track)
    if not files:
        return None
    try:
        return analyse_file(files, seconds=seconds)
    except (StemforgeError, OSError, ValueError, RuntimeError):
        # listening is a second opinion: a file it cannot decode is classified by name
        # (the importer reports unreadable files itself)
        return None


def _said(name_result: Classification) -> str:
    """The ``name says "x"`` part of a name reason."""
    return name_result.reason.split(":")[0].split(" (also")[0]


def combine(name_result: Classification, audio_result: Classification | None) -> Classification:
    """Combine what a track's name and its audio say.

    Parameters
    ----------
    name_result : Classification
        From :func:`~stemforge.classify.names.classify_name`.
    audio_result : Classification or None
        From :func:`~stemforge.classify.audio.classify_audio`, or None when not heard.

    Returns
    -------
    Classification
        The name's role unless the name says nothing or is weak against sure audio.
    """
    if audio_result is None or name_result.role == "exclude":
        return name_result
    audio_role = audio_result.role
    short_audio = audio_result.reason.removeprefix("audio: ")
    if name_result.confidence <= 0.15:
        if audio_role == "other":
            confidence = max(name_result.confidence, audio_result.confidence * 0.5)
            return Classification("other", round(confidence, 2), f"name says nothing; {audio_result.reason}")
        return Classification(audio_role, audio_result.confidence, f"name says nothing; {audio_result.reason}")
    if audio_role == "other":
        return name_result
    if name_result.role in _COMPATIBLE.get(audio_role, frozenset()):
        confidence = min(0.98, name_result.confidence + 0.05)
        return Classification(name_result.role, round(confidence, 2), f"{_said(name_result)}; audio agrees")
    label = "vocals" if audio_role == "lead_vocals" else audio_role
    # the audio overrules a name only when it is sure and clearly surer than the name
    if audio_result.confidence >= 0.5 and audio_result.confidence >= name_result.confidence + _OVERRULE_MARGIN:
        return Classification(
            audio_role,
            round(audio_result.confidence - 0.1, 2),
            f"{_said(name_result)}, audio says {label} ({short_audio.split(' (')[0]}); audio wins",
        )
    return Classification(
        name_result.role,
        round(max(0.3, name_result.confidence - 0.15), 2),
        f"{_said(name_result)}, audio looks like {label}; name wins",
    )


def _words(name: str) -> list[str]:
    return [t.word for t in tokenize(name)]


def _base(name: str) -> str:
    """A name without positions, mics, takes and channel words: what the source is."""
    return " ".join(w for w in _words(name) if w not in _POSITION_WORDS)


def _number(words: list[str]) -> int:
    numbers = [int(w) for w in words if w.isdigit()]
    return numbers[-1] if numbers else 0


def _keep_sources_together(names: Sequence[str], results: list[Classification]) -> None:
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        base = _base(name)
        meaningful = [w for w in base.split() if not w.isdigit() and w not in DAW_DEFAULT_WORDS]
        if meaningful or (base and results[i].confidence > 0.15):
            groups.setdefault(base, []).append(i)
    for members in groups.values():
        if len(members) < 2 or len({results[i].role for i in members}) == 1:
            continue
        surest = max(members, key=lambda i: results[i].confidence)
        for i in members:
            if results[i].role != results[surest].role:
                results[i] = Classification(
                    results[surest].role,
                    round(min(results[surest].confidence, 0.8), 2),
                    f'same source as "{names[surest]}"',
                )


def _one_lead_per_vocal(names: Sequence[str], results: list[Classification], heard: Sequence[Hearing | None]) -> None:
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if results[i].role != "lead_vocals":
            continue
        words = _words(name)
        if set(words) & _SECTION_WORDS:
            continue
        base = " ".join(w for w in words if w not in _POSITION_WORDS and not w.isdigit() and w not in LEAD_MARKERS)
        groups.setdefault(base, []).append(i)
    for base, members in groups.items():
        if len(members) < 2:
            continue
        # "Vox 1" before "Vox 2"; but "Audio 3" and "Audio 7" are numbered by the DAW
        numbered = any(w not in DAW_DEFAULT_WORDS for w in base.split())

        def priority(i: int, numbered: bool = numbered) -> tuple[int, int, float, float, int]:
            words = set(_words(names[i]))
            marked = 1 if words & (LEAD_MARKERS | {"lv", "leadvox", "leadvocal"}) else 0
            number = _number(_words(names[i])) if numbered else 0
            listened = heard[i]
            active = round(listened.active_share, 1) if listened is not None else 0.0
            level = listened.features.rms_dbfs if listened is not None else -math.inf
            return (marked, -number if number else 1, active, level, -i)

        main = max(members, key=priority)
        for i in members:
            if i != main:
                results[i] = Classification(
                    "backing_vocals", 0.55, f'another part of "{names[main]}", which is taken as the lead'
                )


def _a_lead_when_none(names: Sequence[str], results: list[Classification], heard: Sequence[Hearing | None]) -> None:
    """A session whose only vocals are players' mics (``Gtr Vox``, ``Piano Vox``): the
    singer-songwriter's, so the longest active (else the first) is the lead."""
    if any(r.role == "lead_vocals" for r in results):
        return
    mics = [i for i, r in enumerate(results) if r.role == "backing_vocals" and r.reason.endswith(_PLAYER_MIC)]
    if not mics:
        return

    def activity(i: int) -> tuple[float, int]:
        listened = heard[i]
        return (listened.active_share if listened is not None else 0.0, -i)

    main = max(mics, key=activity)
    results[main] = Classification("lead_vocals", 0.55, f"{results[main].reason.removesuffix(_PLAYER_MIC)}: the only singer's mic")


def _sub_kick(names: Sequence[str], results: list[Classification]) -> None:
    words = [set(_words(n)) for n in names]
    has_kick = any(w & _KICK_WORDS for w in words)
    for i, w in enumerate(words):
        plain = {x for x in w if not x.isdigit() and x not in _POSITION_WORDS - {"sub"}}
        others_bass = any(results[j].role == "bass" for j in range(len(names)) if j != i)
        if plain == {"sub"} and has_kick and others_bass:
            results[i] = Classification("drums", 0.6, 'a lone "Sub" beside kick mics and a bass track: the sub-kick mic')


def _shared_words(names: Sequence[str]) -> list[tuple[int, int]]:
    """Per name, how many leading and trailing tokens every name of the session shares
    (a song title, artist or date: ``Bass Lake_Kick``, ``Bass Lake_Audio 3``)."""
    token_lists = [[t.word for t in tokenize(n.replace("\\", "/").split("/")[-1])] for n in names]
    if len(token_lists) < 3 or any(not tokens for tokens in token_lists):
        return [(0, 0)] * len(names)
    shortest = min(len(tokens) for tokens in token_lists)
    head = 0
    while head < shortest - 1 and len({tokens[head] for tokens in token_lists}) == 1:
        head += 1
    tail = 0
    while tail < shortest - 1 - head and len({tokens[-1 - tail] for tokens in token_lists}) == 1:
        tail += 1
    return [(head, tail)] * len(names)


def _classify_names(names: Sequence[str]) -> list[Classification]:
    """Classify each name; when every name shares words (a song title) and three quarters
    of the names say something without them, read the names without them."""
    results = [classify_name(name) for name in names]
    shared = _shared_words(names)
    if not any(head or tail for head, tail in shared):
        return results
    own: list[Classification] = []
    titles: list[str] = []
    for name, (head, tail) in zip(names, shared, strict=True):
        tokens = tokenize(name.replace("\\", "/").split("/")[-1])
        own.append(classify_name(" ".join(t.text for t in tokens[head : len(tokens) - tail])))
        titles.append(" ".join(t.text for t in [*tokens[:head], *tokens[len(tokens) - tail :]]))
    if sum(r.confidence > 0.35 for r in own) < 0.75 * len(names):
        return results  # the shared words are what the names say ("Drums 01", "Kick In", "Kick Out")
    for i, mine in enumerate(own):
        if mine.confidence > 0.35 or (mine.confidence <= 0.1 and mine.role != results[i].role):
            note = f' ("{titles[i]}" ignored)' if mine.role != results[i].role else ""
            results[i] = Classification(mine.role, mine.confidence, mine.reason + note)
    return results


def classify_session(
    tracks: Sequence[NamedTrack],
    *,
    audio: bool = True,
    seconds: float = EXCERPT_S,
    progress: Callable[[float], object] | None = None,
) -> list[Classification]:
    """Propose a role for every track of a session, reasoning across tracks.

    Parameters
    ----------
    tracks : sequence of objects with ``.name`` (and optionally ``.files``)
        ``name`` is the track name (``01_KickIn``, ``Gtr``); ``files`` the audio files of
        the track (one, or two for a split L/R pair). Inputs are only read.
    audio : bool, keyword-only
        Listen to the files (a few seconds each). Off: names only.
    seconds : float, keyword-only
        Length of the loudest excerpt heard per track.
    progress : callable, keyword-only, optional
        Called with 1 after each track is heard (for a progress bar).

    Returns
    -------
    list of Classification
        One per track, in the same order.

    Raises
    ------
    UsageError
        If ``seconds`` is not positive. Unreadable files are not errors here: such a
        track is classified by its name.
    """
    if not seconds > 0:
        raise UsageError(f"seconds={seconds} must be positive")
    names = [track.name for track in tracks]
    by_name = _classify_names(names)
    heard: list[Hearing | None] = []
    for i, track in enumerate(tracks):
        heard.append(_listen(track, seconds) if audio and by_name[i].role != "exclude" else None)
        if progress is not None:
            progress(1)
    results = [combine(n, h.classification if h is not None else None) for n, h in zip(by_name, heard, strict=True)]
    _keep_sources_together(names, results)
    _one_lead_per_vocal(names, results, heard)
    _a_lead_when_none(names, results, heard)
    _sub_kick(names, results)
    return results


def classify_tracks(tracks: Sequence[NamedTrack], *, audio: bool = True, seconds: float = EXCERPT_S) -> list[Classification]:
    """Propose a role for each track of a session (one result per track, same order).

    The function importers call; see :func:`classify_session`.
    """
    return classify_session(tracks, audio=audio, seconds=seconds)


__all__ = ["NamedTrack", "classify_session", "classify_tracks", "combine"]
