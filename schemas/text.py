"""The one text normaliser: what every text field of every form, import and core entry point keeps.

``clean(value)`` turns typed or pasted text into the text that is checked and stored:

1. **Invisible characters are removed.** These are the Unicode *default ignorable* code points (zero-width
   space U+200B, ZWNJ U+200C, ZWJ U+200D, word joiner U+2060, BOM U+FEFF, soft hyphen U+00AD, Hangul
   fillers, invisible operators, …) and every **bidirectional control** (LRM/RLM U+200E/U+200F, ALM U+061C,
   embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069): a name cannot be spoofed by reversing
   its display, and text made only of such characters is empty.
   Three kinds are kept where they belong to the character before them, so ordinary emoji survive:
   a ZWJ *between two pictographs* (👨‍👩‍👧, ❤️‍🔥), the emoji/text presentation selectors U+FE0E/U+FE0F
   after a pictograph or in a keycap (❤️, 1️⃣), other variation selectors after a visible character
   (葛󠄁, an ideographic variant), and tag characters after 🏴 (the flags of England, Scotland, Wales).
   Pictographs are recognised by their blocks (arrows, U+2300–23FF, geometric shapes, U+2600–27BF,
   U+2B00–2BFF, U+1F000–1FAFF and a few single symbols): a cheap approximation of Unicode's
   Extended_Pictographic property (the ``regex`` package would know it exactly, but is not a dependency)
   that covers every emoji ZWJ sequence in use.
2. **Unicode NFC**: a letter typed as base + combining accent is stored as the precomposed letter.
3. For fields declared as **names** (``field(..., name=True)``): every run of whitespace (including the
   ideographic space U+3000 and no-break space) becomes one ordinary space.
4. Leading and trailing whitespace is removed; what is left empty is a missing value.

Length and required checks then apply to what is left. Control characters (U+0000–U+001F) are not removed
here: the ``plain_text`` check refuses them with a message. Passwords never pass through here: they are
kept exactly as typed.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

# bidirectional formatting characters (Unicode Bidi_Control)
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ZWJ = "\u200d"
EMOJI_FLAG_BLACK = "\U0001F3F4"

# Default_Ignorable_Code_Point (DerivedCoreProperties.txt), as ranges
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
# kept after a visible character: variation selectors (emoji / text presentation, ideographic variants)
# and Mongolian free variation selectors
_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF), (0x180B, 0x180D), (0x180F, 0x180F))
# tag characters: kept only in an emoji tag sequence (🏴 + tags + cancel tag)
_TAGS = (0xE0020, 0xE007F)
_PICTOGRAPHS = ((0x2190, 0x21FF), (0x2300, 0x23FF), (0x25A0, 0x25FF), (0x2600, 0x27BF), (0x2934, 0x2935),
                (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF))
_PICTOGRAPH_SINGLES = frozenset(map(ord, "\u00a9\u00ae\u203c\u2049\u2122\u2139\u24c2\u3030\u303d\u3297\u3299"))
# text / emoji presentation selectors: only after a pictograph or a keycap base (1️⃣, #️⃣)
_PRESENTATION = "\ufe0e\ufe0f"
_KEYCAP_BASES = frozenset("0123456789#*")
_KEYCAP = "\u20e3"  # combining enclosing keycap


def _char_class(lo: int, hi: int) -> str:
    return re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"


_ANY_IGNORABLE = re.compile("[" + "".join(_char_class(lo, hi) for lo, hi in _IGNORABLE) + "]")
# whitespace a name may hold (spaces, tabs, line breaks, no-break and ideographic spaces); the other control
# characters that Python counts as whitespace (U+000B, U+000C, U+001C–U+001F) are left to the plain_text check
_WHITESPACE_RUN = re.compile("[\t\n\r \x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def _within(cp: int, ranges) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def is_invisible(ch: str) -> bool:
    """A default ignorable character or a bidi control (what ``clean`` removes, context aside)."""
    return _within(ord(ch), _IGNORABLE) or ch in BIDI_CONTROLS


def _pictograph(ch: str) -> bool:
    cp = ord(ch)
    return cp in _PICTOGRAPH_SINGLES or _within(cp, _PICTOGRAPHS)


def strip_invisible(text: str) -> str:
    """``text`` without invisible and bidi control characters (emoji sequences kept, see the module)."""
    if not _ANY_IGNORABLE.search(text):
        return text
    out: list[str] = []
    n = len(text)
    for i, ch in enumerate(text):
        if not is_invisible(ch):
            out.append(ch)
            continue
        if ch in BIDI_CONTROLS:
            continue
        cp = ord(ch)
        prev = out[-1] if out else ""
        if ch == ZWJ:
            before = prev and (_pictograph(prev) or _within(ord(prev), _SELECTORS))
            if before and i + 1 < n and _pictograph(text[i + 1]):
                out.append(ch)
        elif ch in _PRESENTATION:
            keycap = prev in _KEYCAP_BASES and text[i + 1:i + 2] == _KEYCAP
            if prev and (_pictograph(prev) or keycap):
                out.append(ch)
        elif _within(cp, _SELECTORS):
            if prev and not prev.isspace() and not is_invisible(prev):
                out.append(ch)
        elif _TAGS[0] <= cp <= _TAGS[1]:
            if prev and (prev == EMOJI_FLAG_BLACK or _TAGS[0] <= ord(prev) <= _TAGS[1]):
                out.append(ch)
    return "".join(out)


def normalise(text: str, *, name: bool = False) -> str:
    """Invisible and bidi characters removed, NFC, whitespace runs collapsed in names, ends trimmed."""
    text = strip_invisible(text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if name:
        text = _WHITESPACE_RUN.sub(" ", text)
    return text.strip()


def clean(value: Any, *, name: bool = False) -> Any:
    """``normalise`` for text (empty -> None); anything that is not text is returned unchanged."""
    if not isinstance(value, str):
        return value
    return normalise(value, name=name) or None


def required(value: Any, *, name: bool = False) -> str:
    """The text a core entry point keeps from an argument typed by a person ("" when nothing is left):
    ``if not text.required(reason): refuse``."""
    cleaned = clean(value, name=name)
    return cleaned if isinstance(cleaned, str) else ""
