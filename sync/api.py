"""``/api/sync/v1/``: the district's side of sync over the network.

The bundles are the very ones a USB stick carries (``sync.bundle``); a push ends in
``import_bundle`` and a pull is ``export_for_school``, so every check of part 1 applies.

- ``GET hello`` (no signature): names the product, the protocol and the server's time, so
  a copy can tell a wrong address from this product and learn its clock offset.
- ``POST enrol`` (no signature; a one-time code, ``sync.codes``): JSON ``{"code",
  "public_key", "name"}`` in, the enrolment bundle out (gzip), the node's key bound.
- ``GET push/<sha256>?size=&parts=``: which parts of that bundle the district holds, or
  the answer of its import when it is done.
- ``PUT push/<sha256>/<n>?size=&parts=``: part ``n`` (0-based) of a bundle, gzip. Parts
  are kept until all are in; then the bundle is assembled, its SHA-256 checked and
  imported, the parts dropped and the answer (the receipt) kept for a retry. A push cut
  off mid-way resends only the parts the district does not hold; the same bundle pushed
  again is answered from the kept answer or, once more through ``import_bundle``, as
  known: it applies once.
- ``GET pull?after=P&confirmed=S``: the district's bundle for the node's school from feed
  position ``P`` (what the copy applied) with the receipts past ``S``, gzip; 204 when
  there is nothing. An answer lost on the way is fetched again with the same ``after``.
- ``GET status``: what the district holds from this node and the feed's head.

Every request but hello and enrol is signed (``sync.auth``); the node reaches its own
school only (no school is ever named in a request: it is the node's). Bodies are gzip;
one over ``SYNC_MAX_REQUEST_BYTES`` is refused (413) from its Content-Length before it is
read, and the stream is capped when the length is not given. In maintenance
(``SYNC_MAINTENANCE`` in the config, or a file ``sync_maintenance`` in the instance
folder), when more than ``SYNC_MAX_CONCURRENT`` sync requests are already being served by
this process, or when the database is busy, the answer is 503 with ``Retry-After``.
Errors are JSON ``{"error": code, "message": text in Russian}``.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
import zlib
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, make_response, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError

from intranet.auth.access import machine, public
from intranet.extensions import csrf, db
from intranet.i18n import gettext as _
from intranet.mixins import utcnow
from sync import auth
from sync.netmodels import SyncUpload, SyncUploadPart

PRODUCT = "intranet-district"
PROTOCOL = 1
PART_BYTES = 64 * 1024
MAINTENANCE_FILE = "sync_maintenance"

bp = Blueprint("sync_api", __name__, url_prefix="/api/sync/v1")
csrf.exempt(bp)

_SHA = re.compile(r"^[0-9a-f]{64}$")
_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


# -- limits ------------------------------------------------------------------------------


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name) or default)


def max_request() -> int:
    return _config("SYNC_MAX_REQUEST_BYTES", 1024 * 1024)


def max_part() -> int:
    return _config("SYNC_MAX_PART_BYTES", 1024 * 1024)


def max_bundle() -> int:
    return _config("SYNC_MAX_BUNDLE_BYTES", 64 * 1024 * 1024)


def in_maintenance(app: Flask | None = None) -> bool:
    app = app or current_app
    return (
        bool(app.config.get("SYNC_MAINTENANCE"))
        or (Path(app.instance_path) / MAINTENANCE_FILE).exists()
    )


def _error(status: int, code: str, message: str, **extra: Any):
    response = jsonify({"error": code, "message": message, **extra})
    response.status_code = status
    return response


def _unavailable(seconds: int, message: str):
    response = _error(503, "unavailable", message)
    response.headers["Retry-After"] = str(seconds)
    return response


def _slot() -> threading.BoundedSemaphore:
    limit = _config("SYNC_MAX_CONCURRENT", 16)
    with _slots_lock:
        if limit not in _slots:
            _slots[limit] = threading.BoundedSemaphore(limit)
        return _slots[limit]


@bp.before_request
def _gate():
    from sync.mode import is_school_copy

    g.sync_started = time.perf_counter()
    if is_school_copy() and request.endpoint != "sync_api.hello":
        return _error(404, "not_district", _("This is a school's copy, not the district server."))
    if in_maintenance():
        return _unavailable(
            _config("SYNC_MAINTENANCE_RETRY_AFTER", 60),
            _("The district server is under maintenance: sync will be retried later."),
        )
    if request.endpoint == "sync_api.hello":
        return None
    slot = _slot()
    if not slot.acquire(timeout=float(current_app.config.get("SYNC_QUEUE_SECONDS", 5))):
        return _unavailable(
            _config("SYNC_BUSY_RETRY_AFTER", 5),
            _("The district server is busy: sync will be retried in a moment."),
        )
    g.sync_slot = slot
    return None


@bp.teardown_request
def _release(exc):  # noqa: ARG001
    slot = g.pop("sync_slot", None)
    if slot is not None:
        slot.release()


@bp.errorhandler(OperationalError)
def _busy(exc: OperationalError):
    from intranet.busy import RETRY_AFTER, is_busy

    if not is_busy(exc):
        raise exc
    db.session.rollback()
    return _unavailable(
        RETRY_AFTER, _("The district server is busy: sync will be retried in a moment.")
    )


@bp.after_request
def _plain(response):
    # No cookie ever leaves these endpoints: the signature is the credential.
    response.headers.pop("Set-Cookie", None)
    response.headers["Cache-Control"] = "no-store"
    started = g.get("sync_started")
    if started is not None:  # the server's own time, for the benchmark and the logs
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


# -- bodies ------------------------------------------------------------------------------


class _BadBody(Exception):
    def __init__(self, response) -> None:
        super().__init__("bad body")
        self.response = response


def _too_big():
    return _error(
        413,
        "too_big",
        _("The request is larger than the district accepts: refused before it was read."),
    )


def read_body() -> bytes:
    """The raw body, refused (413) from its declared length before it is read, and never
    read past the limit when no length is declared."""
    limit = max_request()
    length = request.content_length
    if length is not None and length > limit:
        raise _BadBody(_too_big())
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise _BadBody(_too_big())
    return data


def gunzip(data: bytes, cap: int) -> bytes:
    """A gzip body, inflated at most to ``cap`` bytes."""
    if request.headers.get("Content-Encoding", "").lower() != "gzip":
        raise _BadBody(
            _error(
                415,
                "not_gzip",
                _("The body must be sent compressed with gzip (Content-Encoding: gzip)."),
            )
        )
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, cap + 1)
    except zlib.error:
        raise _BadBody(
            _error(
                400,
                "bad_gzip",
                _("The body is declared as gzip but is not gzip: nothing was changed."),
            )
        ) from None
    if len(out) > cap or inflater.unconsumed_tail:
        raise _BadBody(_too_big())
    if not inflater.eof:
        raise _BadBody(
            _error(400, "bad_gzip", _("The gzip body is cut short: nothing was changed."))
        )
    return out


def _gzip_response(data: bytes, status: int = 200, **headers: str):
    response = make_response(gzip.compress(data, compresslevel=6, mtime=0), status)
    response.headers["Content-Type"] = "application/octet-stream"
    response.headers["Content-Encoding"] = "gzip"
    for key, value in headers.items():
        response.headers[key.replace("_", "-")] = value
    return response


# -- authentication ------------------------------------------------------------------------


def _target() -> str:
    query = request.query_string.decode("latin-1")
    return request.path + ("?" + query if query else "")


def _signed(body: bytes = b"", *, allow_revoked: bool = False):
    try:
        return auth.verify(
            request.headers, request.method, _target(), body, allow_revoked=allow_revoked
        )
    except auth.AuthRefused as exc:
        raise _BadBody(_auth_error(exc)) from None


def _auth_error(exc: auth.AuthRefused):
    if exc.code == "clock":
        now = int(time.time())
        response = _error(
            401,
            "clock",
            _("The computer's clock is far from the district's: the request is signed again."),
            server_time=now,
        )
        response.headers[auth.SERVER_TIME] = str(now)
        return response
    if exc.code == "replay":
        return _error(401, "replay", _("This request was already received: a replay is refused."))
    if exc.code == "revoked":
        return _revoked()
    return _error(
        401,
        "signature",
        _("The request's signature is not valid: this computer is not enrolled for this district."),
    )


def _revoked():
    return _error(
        403,
        "revoked",
        _(
            "This computer was revoked by the district: its data is kept in quarantine. "
            "Ask the district to enrol the computer again."
        ),
    )


def _int_arg(name: str, default: int = 0, low: int = 0, high: int = 2**31) -> int:
    value = request.args.get(name, str(default))
    if not value.isdigit() or not low <= int(value) <= high:
        raise _BadBody(_error(400, "bad_request", _("The request is not readable.")))
    return int(value)


def _guarded(view):
    from functools import wraps

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except _BadBody as exc:
            db.session.rollback()
            return exc.response

    return wrapper


# -- endpoints ---------------------------------------------------------------------------


@bp.get("/hello")
@public
def hello():
    from sync.mode import is_school_copy

    return jsonify(
        {
            "product": PRODUCT,
            "protocol": PROTOCOL,
            "mode": "school" if is_school_copy() else "district",
            "server_time": int(time.time()),
            "part_bytes": PART_BYTES,
            "max_request_bytes": max_request(),
        }
    )


@bp.post("/enrol")
@machine
@_guarded
def enrol():
    from sync import codes

    raw = read_body()
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        raw = gunzip(raw, 64 * 1024)
    try:
        asked = json.loads(raw or b"{}")
    except ValueError:
        asked = None
    if not isinstance(asked, dict):
        return _error(400, "bad_request", _("The request is not readable."))
    try:
        made = codes.redeem(
            str(asked.get("code") or ""),
            str(asked.get("public_key") or ""),
            request.remote_addr or "",
            str(asked.get("name") or "")[:200],
        )
    except codes.CodeRefused as exc:
        if exc.throttled:
            response = _error(
                429, "throttled", _("Too many wrong codes: try again in a quarter of an hour.")
            )
            response.headers["Retry-After"] = str(codes.THROTTLE_MINUTES * 60)
            return response
        return _error(403, "code", codes.refusal_text())
    return _gzip_response(made.data, X_Sync_Node=made.node_id)


def _upload_state(upload: SyncUpload | None, node_id: str, sha: str) -> dict[str, Any]:
    if upload is None:
        return {"have": [], "done": False}
    if upload.done_at is not None:
        return {
            "have": [],
            "done": True,
            "parts": upload.parts,
            **json.loads(upload.answer or "{}"),
        }
    have = list(
        db.session.scalars(
            select(SyncUploadPart.number)
            .where(SyncUploadPart.node_id == node_id, SyncUploadPart.sha256 == sha)
            .order_by(SyncUploadPart.number)
        )
    )
    return {"have": have, "done": False, "parts": upload.parts}


@bp.get("/push/<sha>")
@machine
@_guarded
def push_state(sha: str):
    verified = _signed(allow_revoked=True)
    if not _SHA.match(sha):
        return _error(400, "bad_request", _("The request is not readable."))
    upload = db.session.get(SyncUpload, (verified.node.id, sha))
    return jsonify(_upload_state(upload, verified.node.id, sha))


@bp.put("/push/<sha>/<int:number>")
@machine
@_guarded
def push_part(sha: str, number: int):
    body = read_body()
    verified = _signed(body, allow_revoked=True)
    node = verified.node
    size = _int_arg("size", 0, 1, 2**62)
    parts = _int_arg("parts", 1, 1, 100_000)
    if size > max_bundle():
        return _too_big()
    if not _SHA.match(sha) or not 0 <= number < parts:
        return _error(400, "bad_request", _("The request is not readable."))
    data = gunzip(body, max_part())
    upload = db.session.get(SyncUpload, (node.id, sha))
    if upload is not None and upload.done_at is not None:
        return _finished(upload, node)
    if upload is not None and (upload.size != size or upload.parts != parts):
        return _error(400, "bad_request", _("The request is not readable."))
    if upload is None:
        try:
            db.session.add(SyncUpload(node_id=node.id, sha256=sha, size=size, parts=parts))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    try:
        db.session.add(SyncUploadPart(node_id=node.id, sha256=sha, number=number, data=data))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same part again (a retry): kept once
    state = _upload_state(db.session.get(SyncUpload, (node.id, sha)), node.id, sha)
    if len(state["have"]) < parts:
        return jsonify(state)
    return _assemble(node, sha, size, parts)


def _assemble(node, sha: str, size: int, parts: int):
    from sync.bundle import BundleRefused, peek_manifest, sha256
    from sync.importer import import_bundle

    chunks = list(
        db.session.scalars(
            select(SyncUploadPart.data)
            .where(SyncUploadPart.node_id == node.id, SyncUploadPart.sha256 == sha)
            .order_by(SyncUploadPart.number)
        )
    )
    data = b"".join(chunks)
    if len(chunks) != parts or len(data) != size or sha256(data) != sha:
        _drop_parts(node.id, sha)
        db.session.execute(
            delete(SyncUpload).where(SyncUpload.node_id == node.id, SyncUpload.sha256 == sha)
        )
        db.session.commit()
        return _error(
            422, "hash", _("The parts do not make the bundle they name: send the bundle again.")
        )
    if str(peek_manifest(data).get("node") or "") != node.id:
        _drop_parts(node.id, sha)
        db.session.commit()
        return _error(
            403,
            "other_node",
            _("The bundle belongs to another computer: refused, nothing changed."),
        )
    try:
        result = import_bundle(data)
    except BundleRefused as exc:
        answer = {"status": "refused", "message": exc.reason}
    else:
        answer = {
            "status": result.status,
            "bundle": result.bundle_id,
            "counts": result.counts,
            "receipt": result.receipt,
            "message": str(result.message or ""),
        }
    upload = db.session.get(SyncUpload, (node.id, sha))
    if upload is not None:
        upload.done_at = utcnow()
        upload.answer = json.dumps(answer, ensure_ascii=False)
    _drop_parts(node.id, sha)
    db.session.commit()
    return _finished(upload, node, answer)


def _drop_parts(node_id: str, sha: str) -> None:
    db.session.execute(
        delete(SyncUploadPart).where(
            SyncUploadPart.node_id == node_id, SyncUploadPart.sha256 == sha
        )
    )


def _finished(upload, node, answer: dict[str, Any] | None = None):
    answer = answer if answer is not None else json.loads(upload.answer or "{}")
    body: dict[str, Any] = {"done": True, **answer}
    status = 200
    if node.is_revoked:
        status = 403
        body.update(_revoked().get_json())
    elif answer.get("status") == "refused":
        status = 422
        body["error"] = "refused"
    response = jsonify(body)
    response.status_code = status
    return response


@bp.get("/pull")
@machine
@_guarded
def pull():
    from sync.downstream import current_position
    from sync.exporter import export_for_school
    from sync.models import SyncNode

    verified = _signed()
    node = verified.node
    head = current_position(node.school)
    after = _int_arg("after", 0)
    confirmed = _int_arg("confirmed", 0)
    # What the copy says it holds is what it holds: a lost answer is sent again from there.
    acked, confirmed = min(after, head), min(confirmed, node.applied_seq)
    if (acked, confirmed) != (node.acked_position, node.confirmed_seq):
        db.session.query(SyncNode).filter(SyncNode.id == node.id).update(
            {SyncNode.acked_position: acked, SyncNode.confirmed_seq: confirmed}
        )
        db.session.flush()
        db.session.refresh(node)
    exported = export_for_school(node.school, node.id, keep_empty=False)
    if exported.records == 0:
        return make_response("", 204)
    return _gzip_response(
        exported.data,
        X_Sync_From=str(exported.manifest.get("seq_from")),
        X_Sync_To=str(exported.manifest.get("seq_to")),
    )


@bp.get("/status")
@machine
@_guarded
def status():
    from sync.downstream import current_position
    from sync.models import SyncBundle

    node = _signed().node
    waiting = db.session.scalar(
        select(db.func.count())
        .select_from(SyncBundle)
        .where(SyncBundle.node_id == node.id, SyncBundle.status == "waiting")
    )
    return jsonify(
        {
            "node": node.id,
            "school": node.school.code,
            "applied_seq": node.applied_seq,
            "confirmed_seq": node.confirmed_seq,
            "acked_position": node.acked_position,
            "feed_head": current_position(node.school),
            "waiting_bundles": waiting or 0,
            "last_bundle_at": node.last_bundle_at.isoformat() if node.last_bundle_at else None,
            "server_time": int(time.time()),
        }
    )


def init_app(app: Flask) -> None:
    import sync.netmodels  # noqa: F401 (the tables)

    app.register_blueprint(bp)
