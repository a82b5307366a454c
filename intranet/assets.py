"""Static files named by their content, cached for a year, with ETags of their content.

A school on a slow link should download ``app.css`` once, not revalidate it on every page.
At startup every file under ``static/`` is read and hashed; ``url_for('static', ...)``
names it ``app.<hash>.css``, which never changes meaning, so it is served with a year's
immutable cache. The ETag is the content hash, never the file's time, so every app server
of a district gives the same one. The plain name still answers, revalidated each time.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, request

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# A name with a content hash in it: "app.181bb784ea54.css".
HASHED = re.compile(r"\.[0-9a-f]{12}(?=\.[^./]+$|$)")


@dataclass(frozen=True)
class Asset:
    name: str  # relative to the static folder, with forward slashes
    data: bytes
    digest: str
    mimetype: str

    @property
    def hashed_name(self) -> str:
        stem, dot, suffix = self.name.rpartition(".")
        if not dot or "/" in suffix:
            return f"{self.name}.{self.digest}"
        return f"{stem}.{self.digest}.{suffix}"


class Manifest:
    """Every static file in memory (they are a few tens of KB), by plain and hashed name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.by_name: dict[str, Asset] = {}
        self.by_hashed: dict[str, Asset] = {}
        self.load()

    def load(self) -> None:
        by_name = {}
        for path in sorted(p for p in self.folder.rglob("*") if p.is_file()):
            name = path.relative_to(self.folder).as_posix()
            data = path.read_bytes()
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            digest = hashlib.sha256(data).hexdigest()[:12]
            by_name[name] = Asset(name, data, digest, mimetype)
        self.by_name = by_name
        self.by_hashed = {a.hashed_name: a for a in by_name.values()}

    def url_name(self, name: str) -> str:
        asset = self.by_name.get(name)
        return asset.hashed_name if asset else name


def _serve(manifest: Manifest, app: Flask, filename: str) -> Response:
    if app.debug:
        manifest.load()  # a developer's edit shows on the next reload
    asset = manifest.by_hashed.get(filename)
    cache = IMMUTABLE
    if asset is None:
        # The plain name, or a hash of another version (a page from an app server not yet
        # upgraded, or from before the upgrade): today's file, but never kept for a year.
        asset = manifest.by_name.get(filename) or manifest.by_name.get(HASHED.sub("", filename))
        cache = REVALIDATE
    if asset is None:
        abort(404)
    response = Response(asset.data, mimetype=asset.mimetype)
    response.headers["Cache-Control"] = cache
    response.set_etag(asset.digest)
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    manifest = Manifest(Path(app.static_folder or "static"))
    app.extensions["assets"] = manifest

    @app.url_defaults
    def hashed_static_names(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.url_name(values["filename"])

    app.view_functions["static"] = lambda filename: _serve(manifest, app, filename)
