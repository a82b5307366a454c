"""Stored files served back: streamed from the database piece by piece.

A file's bytes live in the database (``changelog.models.Blob``, named by their SHA-256),
so a download never reads a whole file into the process: the response is a generator of
64 KB pieces (``changelog.services.blob_chunks``) with the length and the ETag (the
content's hash) known beforehand from the stored row. Waitress spools what a slow client
has not taken yet, so the app thread is free as soon as the database is read.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response, abort, request, stream_with_context

from intranet.changelog import services as changelog


def _disposition(filename: str) -> dict[str, str]:
    """``filename`` for Content-Disposition, as Werkzeug's ``send_file`` writes it: an
    ASCII fallback and the full name in RFC 5987 form when it is not ASCII."""
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
        return {"filename": simple, "filename*": f"UTF-8''{quote(filename, safe='!#$&+-.^_`|~')}"}
    return {"filename": filename}


def stored_file(sha256: str, filename: str, mimetype: str | None) -> Response:
    """The stored content ``sha256`` as a download named ``filename``; 404 when the content
    is not stored (yet: a school's file still on its way)."""
    size = changelog.blob_size(sha256)
    if size is None:
        abort(404)
    if request.if_none_match.contains(sha256):
        response = Response(status=304)
    else:
        response = Response(
            stream_with_context(changelog.blob_chunks(sha256)),
            mimetype=mimetype or "application/octet-stream",
            # As it is: the pieces go out as read, never gathered (nor compressed) whole.
            direct_passthrough=True,
        )
        response.content_length = size
    response.set_etag(sha256)
    response.headers.set("Content-Disposition", "attachment", **_disposition(filename or "file"))
    return response
