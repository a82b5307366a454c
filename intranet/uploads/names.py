"""File names as users send them, made safe to store and to show."""

from __future__ import annotations

import unicodedata

# Control (Cc) and format (Cf) characters: the bidirectional overrides and isolates
# (U+202A-U+202E, U+2066-U+2069), marks (U+200E, U+200F), zero-width characters and
# the like. Invisible, they can make "photo\u202egpj.exe" read as "photoexe.jpg".
_INVISIBLE = frozenset({"Cc", "Cf"})


def clean_filename(name: str | None, default: str = "file") -> str:
    """``name`` without invisible characters or folder separators, never empty."""
    kept = "".join(c for c in name or "" if unicodedata.category(c) not in _INVISIBLE)
    kept = kept.replace("/", "_").replace("\\", "_").strip()
    return kept or default
