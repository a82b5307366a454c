"""A PDF as a download with a file name a person can file."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

from intranet.documents.base import Document

_LATIN = "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya"
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN.split(" "), strict=True))


def ascii_fallback(name: str) -> str:
    """The name for a client that ignores ``filename*``: transliterated, plain ASCII."""
    out = []
    for ch in name:
        low = ch.lower()
        if low in _TRANSLIT:
            t = _TRANSLIT[low].replace("-", "")
            out.append(t.capitalize() if ch != low else t)
        elif ch.isascii() and (ch.isalnum() or ch in "._-"):
            out.append(ch)
        else:
            out.append("_")
    return "".join(out) or "document.pdf"


def content_disposition(filename: str, inline: bool = False) -> str:
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_fallback(filename)}\"; filename*=UTF-8''{quote(filename)}"


def pdf_response(data: bytes | Document, filename: str | None = None, inline: bool = False):
    """``data`` is the PDF bytes or a document to render; a preview goes ``inline``."""
    if isinstance(data, Document):
        filename = filename or data.filename()
        data = data.render()
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(
        filename or "document.pdf", inline
    )
    # A printed paper is made from data that changes; never serve yesterday's copy.
    response.headers["Cache-Control"] = "no-store"
    return response
