"""PT Serif and PT Sans from PyPI (fontpkg), registered with ReportLab once.

ReportLab's fourteen built-in fonts have no Cyrillic: they draw Russian text as black
boxes and raise nothing. So a document never falls back to them: when the TrueType
files cannot be found or read, :func:`register_fonts` raises :class:`FontsUnavailable`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

SERIF = "PTSerif"
SANS = "PTSans"

# ReportLab family name -> (fontpkg family, package name for the error message)
_FAMILIES = {
    SERIF: ("PT Serif", "fontpkg-pt-serif"),
    SANS: ("PT Sans", "fontpkg-pt-sans"),
}
# suffix of the registered face -> (weight, style)
_FACES = {"": (400, "normal"), "-Bold": (700, "normal"), "-Italic": (400, "italic"),
          "-BoldItalic": (700, "italic")}  # fmt: skip

_lock = threading.Lock()
_registered = False


class FontsUnavailable(RuntimeError):
    """No usable Cyrillic font: printing would draw boxes, so nothing is printed."""


def _font_path(family: str, package: str, weight: int, style: str) -> Path:
    try:
        import fontpkg

        path = Path(fontpkg.path(family, weight=weight, style=style))
    except Exception as exc:  # fontpkg missing, family not installed, style missing
        raise FontsUnavailable(
            f"Font {family!r} ({weight}, {style}) is not installed: pip install {package} ({exc})"
        ) from exc
    if not path.is_file():
        raise FontsUnavailable(f"Font file {path} of {package} is missing")
    return path


def register_fonts() -> None:
    """Register both families with bold and italic mapped; idempotent and thread-safe."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for name, (family, package) in _FAMILIES.items():
            for suffix, (weight, style) in _FACES.items():
                path = _font_path(family, package, weight, style)
                try:
                    font = TTFont(name + suffix, str(path))
                except (TTFError, OSError) as exc:
                    raise FontsUnavailable(f"Font file {path} cannot be read: {exc}") from exc
                if font.face.charToGlyph.get(ord("Ж")) is None:
                    raise FontsUnavailable(f"Font file {path} has no Cyrillic letters")
                pdfmetrics.registerFont(font)
            pdfmetrics.registerFontFamily(
                name,
                normal=name,
                bold=name + "-Bold",
                italic=name + "-Italic",
                boldItalic=name + "-BoldItalic",
            )
        _registered = True
