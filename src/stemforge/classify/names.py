"""Track names → stem roles: a tokenizer for messy studio names and a few decisions.

:func:`~stemforge.classify.tokens.tokenize` cuts a name into words; :func:`classify_name`
decides from the words in :mod:`stemforge.classify.lexicon`:

1. a word that keeps a track out of stems (``click``, ``guide``, ``rough``) wins;
2. otherwise the most specific role word decides, the last one between equals;
3. modifiers adjust it: ``dbl``/``harm``/``bgv`` make a vocal a backing vocal, ``lead``
   keeps it lead, ``fx``/``throw``/``reverse`` make anything an effect, ``synth`` makes
   strings, brass or choir a synth;
4. whole-song words (``mix``, ``bounce``, ``print``) exclude only a name with no
   instrument in it (``Drum Mix`` stays drums);
5. a name that is only a person's first name is probably their vocal (``Sarah``), and
   ``Tom Vox`` is Tom's vocal, not a tom;
6. a name of DAW defaults (``Audio 07``, ``Track 12``) or of unknown words is ``other``
   with a low confidence, for the audio to decide.

Written by hand because no library knows studio naming; the rules are a few dozen
lines and the vocabulary is data.
"""

from __future__ import annotations

import re

from stemforge.classify.lexicon import (
    BACKING_MODIFIERS,
    DAW_DEFAULT_WORDS,
    FILLERS,
    FX_MODIFIERS,
    HARD_EXCLUDE,
    LEAD_MARKERS,
    PERSON_NAMES,
    ROLE_WORDS,
    SOFT_EXCLUDE,
    SYNTH_MODIFIERS,
    WEAK_BACKING_MODIFIERS,
    Word,
)
from stemforge.classify.roles import Classification
from stemforge.classify.tokens import Token, clear_caches, fold, tokenize

_VOCAL_ROLES = ("lead_vocals", "backing_vocals")
_SYNTH_TAKES = frozenset({"strings", "horns", "backing_vocals", "lead_vocals", "percussion", "keys", "guitars"})
_LEAD_WORDS = frozenset({"lv", "leadvox", "leadvocal", "leadgesang", "hauptstimme"})
_CONFIDENCE = {2.5: 0.9, 2.0: 0.9, 1.5: 0.75, 1.0: 0.5}
#: Drum words that make "sub" a sub-kick mic and "click" the beater's click.
_DRUM_WORDS = frozenset({"kick", "kik", "kck", "bd", "bassdrum", "drum", "drums", "snare", "rim", "sidestick", "hat", "hihat"})
#: Playing styles rather than sources: ``Gtr Pad`` is a guitar, ``Pad`` alone a synth.
_STYLE_WORDS = frozenset({"pad", "pads", "arp", "arps", "pluck", "plucks", "swell", "stab", "stabs"})
_STYLE_YIELDS_TO = frozenset({"guitars", "keys", "lead_vocals", "backing_vocals", "horns", "bass", "drums", "percussion"})
_CHOIR_WORDS = frozenset({"choir", "choirs", "chor", "chore", "coro", "coros", "cori", "choeur", "choeurs"})
_ANYWHERE_MODIFIERS = frozenset({"whisper", "whispers", "falsetto", "soprano", "sop", "alto", "tenor", "baritone"})
_BASS_WORDS = frozenset({"sub", "bass", "808", "bs", "subbass", "bss"})


def _said(token: Token) -> str:
    """How a reason quotes a word: as written, and what it was read as when that differs."""
    text = token.text.lower()
    squeezed = "".join(ch for ch in fold(token.text) if ch.isalnum())
    if token.word == squeezed or " " in text or not token.word.isalpha():
        return f'"{text}"'
    if token.word in squeezed:
        return f'"{token.word}" (in "{text}")'
    return f'"{text}" (read as "{token.word}")'


def _quote(tokens: list[Token]) -> str:
    return " + ".join(_said(t) for t in tokens)


_PLAYERS = frozenset({"drums", "percussion", "bass", "guitars", "keys", "horns", "strings"})
_PLAIN_VOCAL_WORDS = frozenset({"vox", "vocal", "vocals", "voc", "vx", "voice"})
_PLAYER_GROUP_WORDS = frozenset({"keys", "key", "drum", "drums", "kit", "perc"})
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
        if "solo" in present and all(w in FILLERS or w.isdigit() for w in words):
            return Classification("guitars", 0.4, 'name says "solo" only: most often a guitar solo')
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
            and (h[0].rank >= 2.0 or h[0].role in _VOCAL_ROLES or h[2].word in ("keys", "key", "drum", "drums", "kit"))
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
    last = hits[-1]
    players = [
        h for h in hits[:-1] if h[0].role in _PLAYERS and (h[0].rank >= 2.0 or h[2].word in _PLAYER_GROUP_WORDS)
    ]
    if players and last[2].word in _PLAIN_VOCAL_WORDS and role in (*_PLAYERS, "lead_vocals"):
        # "Gtr Vox", "Keys Vox", "Drum Vox": the player's vocal mic, on a live recording
        role, confidence = "backing_vocals", 0.6
        reason = f"name says {_quote([players[-1][2], last[2]])}: the player's vocal mic"
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


__all__ = ["Token", "classify_name", "clear_caches", "tokenize"]
