"""Cutting messy studio track names into the words classification looks up.

Names arrive as ``01_KickIn.wav``, ``DRUMS - Kick In - M81-SH.wav``, ``LeadVox_Comp_v2``,
``Gtr.dup1``, ``KICK_IN_01`` or ``Voz Guía``. :func:`tokenize` drops a folder and an audio
extension, then cuts at separators, at camelCase (``LeadVox``, ``LVDbl``, but not
``BGVs``) and between letters and digits (``Tom1``, keeping ``SM57``, ``B3``, ``808``
whole), folds case and accents, joins word pairs that mean something else (``bass drum``),
and reads what is left: plurals, unspaced compounds (``kickin``, ``leadgesang``),
abbreviations (``tambou``), a compound's tail (``rhythmusgitarre``), one-letter typos
(``overhaed``) and, in all-caps or lower-case runs, an instrument glued to an unknown word
(``OPENHAT``). Every step is memoised, so a session's repeated words cost nothing.

Written by hand: no library knows studio naming.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from stemforge.classify.lexicon import (
    HARD_EXCLUDE,
    PAIRS,
    ROLE_WORDS,
    SOFT_EXCLUDE,
    VOCABULARY,
)

_AUDIO_SUFFIX = re.compile(r"\.(wav|wave|bwf|aif|aiff|aifc|flac|mp3|ogg|m4a|caf|sd2)$", re.IGNORECASE)
_RUN = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"(?<=[a-z\u00e0-\u00ff])(?=[A-Z])|(?<=[A-Z])(?=[A-Z](?!s(?![a-z]))[a-z])")
_DIGITS = re.compile(r"(?<=\D)(?=\d)|(?<=\d)(?=\D)")
_FOLD = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})
_SPECIAL = {"flügel": "fluegel", "chöre": "chore"}


@dataclass(frozen=True)
class Token:
    """One word of a name.

    Attributes
    ----------
    word : str
        Lower case, accents folded, as looked up (``tambourine`` for ``Tambou``).
    text : str
        The words of the name it stands for, as written (``Bass Drum``).
    penalty : float
        How much less specific the word counts: 0.5 when read from an abbreviation or a
        compound's tail, 1.0 when read as a typo of a known word, else 0.
    """

    word: str
    text: str
    penalty: float = 0.0


@functools.lru_cache(maxsize=16384)
def _fold(word: str) -> str:
    lower = word.lower()
    if lower.isascii():
        return lower
    if lower in _SPECIAL:
        return _SPECIAL[lower]
    decomposed = unicodedata.normalize("NFKD", lower.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=16384)
def _split_run(run: str) -> tuple[str, ...]:
    """Split one alphanumeric run at camelCase and letter/digit boundaries."""
    if _fold(run) in VOCABULARY:
        return (run,)
    parts: list[str] = []
    for piece in _CAMEL.split(run):
        if not piece:
            continue
        if _fold(piece) in VOCABULARY:
            parts.append(piece)
        else:
            parts.extend(p for p in _DIGITS.split(piece) if p)
    return tuple(parts)


@functools.lru_cache(maxsize=8192)
def _segment(word: str) -> tuple[str, ...] | None:
    """Cut an unspaced compound (``kickin``, ``leadvoxdbl``) into known words, fewest first."""
    n = len(word)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for end in range(2, n + 1):
        for start in range(end - 1, -1, -1):
            prefix = best[start]
            if prefix is None:
                continue
            piece = word[start:end]
            if len(piece) == 1 and not (end == n and piece in "lrms"):
                continue
            if piece in VOCABULARY:
                candidate = (*prefix, piece)
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    found = best[n]
    if found is None or len(found) < 2:
        return None
    if not any(p in ROLE_WORDS or p in HARD_EXCLUDE for p in found):
        return None
    return found


@functools.lru_cache(maxsize=8192)
def _segment_partly(word: str) -> tuple[str, ...] | None:
    """Cut an unspaced word that is partly unknown (``openhat``, ``trumpetmute``) into one
    instrument word (three letters or more) and one unknown piece of two letters or more,
    not much longer than it; the longest instrument word wins."""
    best: tuple[str, ...] | None = None
    longest = 0
    for k in range(2, len(word) - 1):
        for known, other, pieces in ((word[:k], word[k:], (word[:k], word[k:])), (word[k:], word[:k], (word[:k], word[k:]))):
            info = ROLE_WORDS.get(known)
            if (
                info is not None
                and info.rank >= 2.0
                and len(known) >= 3
                and other not in VOCABULARY
                and 2 <= len(other) <= len(known) + 2
                and len(known) > longest
            ):
                best, longest = pieces, len(known)
    return best


def _build_prefixes() -> dict[str, str]:
    roles: dict[str, set[str]] = {}
    for word, info in ROLE_WORDS.items():
        if len(word) >= 5 and word.isalpha():
            for k in range(4, len(word)):
                # "synt" and "tambou" are abbreviations; "band" is a word, not "bandoneon"
                if k >= 5 or k >= 0.6 * len(word):
                    roles.setdefault(word[:k], set()).add(f"{info.role}:{word}")
    prefixes: dict[str, str] = {}
    for prefix, entries in roles.items():
        if prefix in VOCABULARY:
            continue
        if len({e.split(":")[0] for e in entries}) == 1:
            prefixes[prefix] = min((e.split(":")[1] for e in entries), key=len)
    return prefixes


_PREFIXES = _build_prefixes()


def _build_typos() -> dict[str, str]:
    """One deletion of each long role word → the word (a symmetric-delete index for typos)."""
    found: dict[str, set[str]] = {}
    for word, info in ROLE_WORDS.items():
        if len(word) >= 5 and word.isalpha() and info.rank >= 1.5:
            for i in range(len(word)):
                found.setdefault(word[:i] + word[i + 1 :], set()).add(word)
    return {key: next(iter(words)) for key, words in found.items() if len({ROLE_WORDS[w].role for w in words}) == 1}


_TYPOS = _build_typos()
_TAILS = frozenset(w for w in ROLE_WORDS if len(w) >= 5 and w.isalpha())
_TAIL_LENGTHS = sorted({len(w) for w in _TAILS}, reverse=True)


@functools.lru_cache(maxsize=16384)
def _read(word: str) -> tuple[tuple[str, float], ...]:
    """What one folded word stands for: known words with a penalty (plurals, compounds,
    abbreviations, a compound's tail, a one-letter typo), or itself."""
    if word in VOCABULARY or word.isdigit():
        return ((word, 0.0),)
    for suffix in ("s", "es"):
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 3 and (stem in ROLE_WORDS or stem in HARD_EXCLUDE or stem in SOFT_EXCLUDE):
            return ((stem, 0.0),)
    pieces = _segment(word) if len(word) >= 3 else None
    if pieces is not None:
        return tuple((p, 0.0) for p in pieces)
    if word in _PREFIXES:
        return ((_PREFIXES[word], 0.5),)
    if len(word) >= 8:
        for length in _TAIL_LENGTHS:
            if len(word) - length >= 3 and word[-length:] in _TAILS:
                return ((word[-length:], 0.5),)
    if len(word) >= 6 and word.isalpha():  # one letter wrong, missing, extra or swapped
        shorter = [word[:i] + word[i + 1 :] for i in range(len(word))]
        candidates = {_TYPOS.get(w) for w in [word, *shorter]} | {w for w in shorter if w in ROLE_WORDS}
        known = sorted(w for w in candidates if w)
        if known and len({ROLE_WORDS[w].role for w in known}) == 1:
            return ((known[0], 1.0),)
    return ((word, 0.0),)


@functools.lru_cache(maxsize=32768)
def _resolve(word: str, text: str) -> tuple[Token, ...]:
    """Tokens for one folded word (see :func:`_read`), keeping the text they stand for."""
    return tuple(Token(w, text, penalty=p) for w, p in _read(word))


def _strip_name(name: str) -> str:
    base = re.split(r"[/\\]", name.strip())[-1]
    base = _AUDIO_SUFFIX.sub("", base)
    return base.replace("&", " and ").replace("+", " ")


@functools.lru_cache(maxsize=65536)
def tokenize(name: str) -> tuple[Token, ...]:
    """Cut a track or file name into the words classification looks up.

    Parameters
    ----------
    name : str
        A track name or file name (a folder part and an audio extension are dropped).

    Returns
    -------
    tuple of Token
        In the order they appear; numbers are kept as their own tokens.

    Examples
    --------
    >>> [t.word for t in tokenize("18_LeadVox_Comp_v2.wav")]
    ['18', 'leadvox', 'comp', 'v', '2']
    """
    raw: list[tuple[str, str]] = []
    for run in _RUN.findall(_strip_name(name)):
        for part in _split_run(run):
            raw.append((_fold(part), part))
    resolved: list[Token] = []
    for word, text in _merge_pairs(raw):
        found = _resolve(word, text)
        uniform = text.islower() or text.isupper()
        if len(found) == 1 and found[0].word not in VOCABULARY and uniform and len(word) >= 6 and word.isalpha():
            pieces = _segment_partly(word)
            if pieces is not None:
                found = tuple(Token(p, text) for p in pieces)
        resolved.extend(found)
    tokens: list[Token] = []
    i = 0
    while i < len(resolved):
        current = resolved[i]
        following = resolved[i + 1] if i + 1 < len(resolved) else None
        if following is not None and (current.word, following.word) in PAIRS:
            text = current.text if current.text == following.text else f"{current.text} {following.text}"
            tokens.append(Token(PAIRS[(current.word, following.word)], text, max(current.penalty, following.penalty)))
            i += 2
            continue
        if current.word == "rev":  # "Rev 2" is a revision, "Rev Vox" a reversed vocal
            nxt = following.word if following is not None else ""
            word = "ver" if (nxt.isdigit() or nxt == "") and i > 0 else "reverse"
            current = Token(word, current.text, current.penalty)
        tokens.append(current)
        i += 1
    return tuple(tokens)


def _merge_pairs(raw: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Join adjacent words that mean something else together (``bass drum``)."""
    merged: list[tuple[str, str]] = []
    i = 0
    while i < len(raw):
        if i + 1 < len(raw) and (raw[i][0], raw[i + 1][0]) in PAIRS:
            merged.append((PAIRS[(raw[i][0], raw[i + 1][0])], f"{raw[i][1]} {raw[i + 1][1]}"))
            i += 2
            continue
        merged.append(raw[i])
        i += 1
    return merged


def clear_caches() -> None:
    """Forget the memoised readings of words and names (for benchmarks of cold runs)."""
    for cached in (tokenize, _fold, _split_run, _segment, _segment_partly, _read, _resolve):
        cached.cache_clear()


def fold(text: str) -> str:
    """Lower case without accents, as words are looked up (``Batería`` → ``bateria``)."""
    return _fold(text)


__all__ = ["Token", "clear_caches", "fold", "tokenize"]
