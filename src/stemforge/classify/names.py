"""Track names → stem roles: a tokenizer for messy studio names and a few decisions.

Names arrive as ``01_KickIn.wav``, ``DRUMS - Kick In - M81-SH.wav``, ``LeadVox_Comp_v2``,
``Gtr.dup1`` or ``Voz Guía``. :func:`tokenize` cuts them into lower-case, accent-folded
words (separators, camelCase, letters against digits, numbering and take suffixes,
unspaced compounds such as ``kickin`` or ``leadgesang``), and :func:`classify_name`
decides from the words in :mod:`stemforge.classify.lexicon`:

1. a word that keeps a track out of stems (``click``, ``guide``, ``rough``) wins;
2. otherwise the most specific role word decides, the last one between equals;
3. modifiers adjust it: ``dbl``/``harm``/``bgv`` make a vocal a backing vocal, ``lead``
   keeps it lead, ``fx``/``throw``/``reverse`` make anything an effect, ``synth`` makes
   strings, brass or choir a synth;
4. whole-song words (``mix``, ``bounce``, ``print``) exclude only a name with no
   instrument in it (``Drum Mix`` stays drums);
5. a name of DAW defaults (``Audio 07``, ``Track 12``) or of unknown words is ``other``
   with a low confidence, for the audio to decide.

Written by hand because no library knows studio naming; the rules are a few dozen
lines and the vocabulary is data.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from stemforge.classify.lexicon import (
    BACKING_MODIFIERS,
    DAW_DEFAULT_WORDS,
    FILLERS,
    FX_MODIFIERS,
    HARD_EXCLUDE,
    LEAD_MARKERS,
    PAIRS,
    PERSON_NAMES,
    ROLE_WORDS,
    SOFT_EXCLUDE,
    SYNTH_MODIFIERS,
    VOCABULARY,
    WEAK_BACKING_MODIFIERS,
    Word,
)
from stemforge.classify.roles import Classification

_AUDIO_SUFFIX = re.compile(r"\.(wav|wave|bwf|aif|aiff|aifc|flac|mp3|ogg|m4a|caf|sd2)$", re.IGNORECASE)
_RUN = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"(?<=[a-z\u00e0-\u00ff])(?=[A-Z])|(?<=[A-Z])(?=[A-Z](?!s(?![a-z]))[a-z])")
_DIGITS = re.compile(r"(?<=\D)(?=\d)|(?<=\d)(?=\D)")
_FOLD = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d"})
_SPECIAL = {"flügel": "fluegel", "chöre": "chore", "chöre_": "chore"}
_VOCAL_ROLES = ("lead_vocals", "backing_vocals")
_SYNTH_TAKES = frozenset({"strings", "horns", "backing_vocals", "lead_vocals", "percussion", "keys", "guitars"})
_LEAD_WORDS = frozenset({"lv", "leadvox", "leadvocal", "leadgesang", "hauptstimme"})
_CONFIDENCE = {2.5: 0.9, 2.0: 0.9, 1.5: 0.75, 1.0: 0.5}
#: Drum words that make "sub" a sub-kick mic and "click" the beater's click.
_DRUM_WORDS = frozenset({"kick", "kik", "kck", "bd", "bassdrum", "drum", "drums", "snare", "rim", "sidestick", "hat", "hihat"})
#: Playing styles rather than sources: ``Gtr Pad`` is a guitar, ``Pad`` alone a synth.
_STYLE_WORDS = frozenset({"pad", "pads", "arp", "arps", "pluck", "plucks", "swell", "stab", "stabs"})
_STYLE_YIELDS_TO = frozenset({"guitars", "keys", "lead_vocals", "backing_vocals", "horns", "bass"})
_CHOIR_WORDS = frozenset({"choir", "choirs", "chor", "chore", "coro", "coros", "cori", "choeur", "choeurs"})
_ANYWHERE_MODIFIERS = frozenset({"whisper", "whispers", "falsetto"})
_BASS_WORDS = frozenset({"sub", "bass", "808", "bs", "subbass", "bss"})


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
    if len(word) >= 5 and word.isalpha():  # one letter wrong, missing, extra or swapped
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


def _quote(tokens: list[Token]) -> str:
    return " + ".join(f'"{t.text.lower()}"' for t in tokens)


_PERSON_TOM_YIELDS_TO = frozenset({"lead_vocals", "backing_vocals", "guitars", "keys", "horns", "strings"})


def _without_person_tom(hits: list[tuple[Word, int, Token]]) -> list[tuple[Word, int, Token]]:
    """``Tom Vox`` is Tom's vocal, not a tom: drop a leading "tom" before another instrument."""
    if not hits or hits[0][2].word != "tom":
        return hits
    if any(h[0].role in _PERSON_TOM_YIELDS_TO and h[0].rank >= 1.5 for h in hits[1:]):
        return hits[1:]
    return hits


def _decide(tokens: tuple[Token, ...]) -> Classification:
    words = [t.word for t in tokens]
    present = set(words)
    hard = [t for t in tokens if t.word in HARD_EXCLUDE and not (t.word == "click" and present & _DRUM_WORDS)]
    if hard:
        return Classification("exclude", 0.95, f"name says {_quote(hard[:1])}: not for stems")
    hits = [(ROLE_WORDS[t.word], i, t) for i, t in enumerate(tokens) if t.word in ROLE_WORDS]
    hits = _without_person_tom(hits)
    people = [t for t in tokens if t.word in PERSON_NAMES]
    if people and all(h[2].word == "lead" for h in hits):
        if hits:
            return Classification("lead_vocals", 0.6, f'name says {_quote([people[0], hits[0][2]])}: their lead vocal')
        return Classification("lead_vocals", 0.4, f"name says {_quote(people[:1])}, a person: probably their vocal")
    if not hits:
        soft = [t for t in tokens if t.word in SOFT_EXCLUDE]
        if soft:
            return Classification("exclude", 0.8, f"name says {_quote(soft[:1])}: a whole-song file, not for stems")
        meaningful = [w for w in words if not w.isdigit() and w not in DAW_DEFAULT_WORDS and w not in FILLERS]
        if not meaningful:
            return Classification("other", 0.1, "a DAW default name: nothing to go on")
        return Classification("other", 0.05, "name matches no rule")

    def rank(hit: tuple[Word, int, Token]) -> float:
        info, _, token = hit
        return info.rank - token.penalty

    if present & _DRUM_WORDS:  # "Drum Sub", "Kick Sub": the sub-kick mic, not a sub bass
        hits = [h for h in hits if h[2].word != "sub"] or hits
    top = max(rank(h) for h in hits)
    best_word, best_index, best_token = [h for h in hits if rank(h) == top][-1]
    role = best_word.role
    confidence = _CONFIDENCE.get(top, 0.5 if top < 1.5 else 0.75)
    others = [h for h in hits if h[1] != best_index]
    if any(h[0].role == role for h in others):
        confidence += 0.05
    if any(h[0].role != role and rank(h) == top for h in others):
        confidence -= 0.2
    elif any(h[0].role != role and rank(h) >= 1.5 for h in others):
        confidence -= 0.1
    reason = f"name says {_quote([best_token])}"
    also = [h[2] for h in others if h[0].role != role and rank(h) >= 1.5]
    if also:
        reason += f" (also {_quote(also[:1])})"

    if best_token.word in _STYLE_WORDS:
        sources = [
            h
            for h in others
            if h[0].role in _STYLE_YIELDS_TO
            and (h[0].rank >= 2.0 or h[0].role in _VOCAL_ROLES or h[2].word in ("keys", "key"))
            and h[2].word not in _CHOIR_WORDS
        ]
        if sources:
            style_token = best_token
            best_word, best_index, best_token = sources[-1]
            role, confidence = best_word.role, 0.8
            reason = f"name says {_quote([best_token, style_token])}: played as a {style_token.word}"
    if best_word.role == "synths" and best_token.word in SYNTH_MODIFIERS and present & _BASS_WORDS:
        bass_token = next(t for t in tokens if t.word in _BASS_WORDS)
        role, confidence = "bass", 0.85
        reason = f"name says {_quote([bass_token, best_token])}: a synth bass"
    if role in ("bass", "horns", "strings") and present & _CHOIR_WORDS:
        choir = next(t for t in tokens if t.word in _CHOIR_WORDS)
        role, confidence = "backing_vocals", 0.85
        reason = f"name says {_quote([choir, best_token])}: a choir part"
    fx_mod = [t for t in tokens if t.word in FX_MODIFIERS and t is not best_token]
    synth_mod = [t for t in tokens if t.word in SYNTH_MODIFIERS and t is not best_token]
    if fx_mod and role not in ("fx", "exclude"):
        role, confidence = "fx", 0.85
        reason = f"name says {_quote([best_token, fx_mod[0]])}: an effect"
    elif synth_mod and role in _SYNTH_TAKES:
        role, confidence = "synths", 0.85
        reason = f"name says {_quote([synth_mod[0], best_token])}: a synth"
    elif role in _VOCAL_ROLES:
        strong = [t for t in tokens if t.word in BACKING_MODIFIERS and t is not best_token]
        if best_token.word in BACKING_MODIFIERS:
            strong.insert(0, best_token)
        position = tokens.index(best_token)
        weak = [
            t
            for i, t in enumerate(tokens)
            if t.word in WEAK_BACKING_MODIFIERS and (i > position or t.word in _ANYWHERE_MODIFIERS)
        ]
        lead = [t for t in tokens if t.word in LEAD_MARKERS or t.word in _LEAD_WORDS]
        if strong:
            if role != "backing_vocals" or confidence < 0.85:
                confidence = 0.85
            role = "backing_vocals"
            said = [best_token] if strong[0] is best_token else [best_token, strong[0]]
            reason = f"name says {_quote(said)}: a double, harmony or backing part"
        elif weak and not lead:
            role, confidence = "backing_vocals", 0.6
            reason = f"name says {_quote([best_token, weak[0]])}: probably a harmony or layer"
        elif lead and role == "backing_vocals":
            role, confidence = "lead_vocals", 0.8
            reason = f"name says {_quote([best_token, lead[0]])}"
    elif "lead" in present and role in ("percussion", "bass", "fx", "other") and top < 2.0:
        role, confidence = "synths", 0.6
        reason = f'name says {_quote([best_token])} + "lead": a lead synth sound'
    elif best_token.word == "lead" and "lead" in present:
        reason = 'name says "lead" only: a lead synth or a lead vocal'
        confidence = 0.35
    return Classification(role, round(max(0.05, min(confidence, 0.97)), 2), reason)


def classify_name(name: str) -> Classification:
    """Propose a stem role from a track or file name.

    Parameters
    ----------
    name : str
        A track name (``Kick In``) or file name (``01_KickIn.wav``, ``Stems/Vox Dbl.aif``).

    Returns
    -------
    Classification
        ``role`` from :data:`~stemforge.classify.roles.ROLES`, ``confidence`` 0–1 (0.1 or
        less when the name says nothing) and a one-line ``reason``.

    Examples
    --------
    >>> classify_name("01_KickIn.wav").role
    'drums'
    >>> classify_name("LV Dbl").role
    'backing_vocals'
    >>> classify_name("Audio 07").confidence <= 0.1
    True
    """
    parts = [p for p in re.split(r"[/\\]", name.strip()) if p.strip()]
    result = _decide(tokenize(parts[-1] if parts else name))
    if result.confidence <= 0.1 and len(parts) > 1:
        folder = _decide(tokenize(" ".join(parts[:-1])))
        if folder.confidence > 0.1:
            said = folder.reason.split(":")[0].removeprefix("name says ")
            return Classification(folder.role, round(min(folder.confidence, 0.6), 2), f"folder name says {said}")
    return result


def clear_caches() -> None:
    """Forget the memoised readings of words and names (for benchmarks of cold runs)."""
    for cached in (tokenize, _fold, _split_run, _segment, _segment_partly, _read, _resolve):
        cached.cache_clear()


__all__ = ["Token", "classify_name", "clear_caches", "tokenize"]
