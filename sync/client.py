"""The school copy's side of sync over the network: an HTTP client of ``/api/sync/v1/`` and
the one sync (push, then pull) that the button, the background thread and
``intranet sync now`` all run.

The client signs every request (``sync.auth``) with the time corrected by the offset
``hello`` gave, and signs again with the server's time when the district says the clock
is off. A dropped connection is retried (a push asks first which parts the district
holds, so only the missing ones go again); a 503 is waited out for its ``Retry-After``;
both are bounded, and what is still missing afterwards is simply «нет связи, повторим
позже»: the changes stay in every later bundle until the district confirms them.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from intranet.i18n import gettext as _
from sync import auth

log = logging.getLogger("intranet.sync")

API = "/api/sync/v1"
PRODUCT = "intranet-district"
PART_BYTES = 64 * 1024


class SyncError(Exception):
    """A refusal worth telling people (``str()`` is the Russian sentence)."""


class NoLink(SyncError):
    """The district could not be reached: normal for a school, retried later."""


class NotThisProduct(SyncError):
    """The address answers, but it is not this product's district server."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


_NETWORK_ERRORS = (
    urllib.error.URLError,
    http.client.HTTPException,
    ConnectionError,
    socket.timeout,
    TimeoutError,
    OSError,
)


def _inflate(body: bytes, headers: dict[str, str]) -> bytes:
    if headers.get("content-encoding", "").lower() != "gzip":
        return body
    try:
        return gzip.decompress(body)
    except (OSError, EOFError, zlib.error):
        raise http.client.IncompleteRead(body) from None


class DistrictClient:
    def __init__(
        self,
        base_url: str,
        node_id: str = "",
        key: Ed25519PrivateKey | None = None,
        *,
        attempts: int = 6,
        max_wait: float = 30.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.node_id = node_id
        self.key = key
        self.attempts = attempts
        self.max_wait = max_wait
        self.timeout = timeout
        self.sleep = sleep
        self.offset = 0
        # Bytes on the wire (bodies both ways and the request/status lines and headers).
        self.sent = 0
        self.received = 0
        # (method, path, status, seconds) of every request made, for people reading a log.
        self.log: list[tuple[str, str, int, float]] = []
        # Milliseconds the district spent on them (its Server-Timing header).
        self.server_ms = 0.0
        self._opener = urllib.request.build_opener(_NoRedirect())

    # -- one request, with its retries ----------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        *,
        signed: bool = True,
        headers: dict[str, str] | None = None,
        attempts: int | None = None,
    ) -> Answer:
        target = API + path
        attempts = attempts or self.attempts
        waited = 0.0
        resigned = False
        last_error: BaseException | None = None
        attempt = 0
        while attempt < attempts:
            attempt += 1
            sent = {"Accept-Encoding": "gzip", "User-Agent": "intranet-sync/1", **(headers or {})}
            if signed:
                sent.update(
                    auth.sign_headers(
                        self.key, self.node_id, method, target, body, now=time.time() + self.offset
                    )
                )
            try:
                answer = self._open(method, target, body, sent)
            except _NETWORK_ERRORS as exc:
                last_error = exc
                if attempt < attempts:
                    self.sleep(min(0.5 * 2 ** (attempt - 1), 8))
                continue
            if answer.status == 503:
                delay = _retry_after(answer.headers)
                if waited + delay > self.max_wait:
                    raise NoLink(
                        _(
                            "The district server is busy or under maintenance: sync will be retried later."
                        )
                    )
                waited += delay
                self.sleep(delay)
                continue
            if answer.status == 401 and answer.json().get("error") == "clock" and not resigned:
                server = answer.json().get("server_time") or answer.headers.get(
                    auth.SERVER_TIME.lower()
                )
                self.offset = int(server) - int(time.time())
                resigned = True
                attempt -= 1
                continue
            return answer
        log.info("sync: no link to %s: %s", self.base, last_error)
        raise NoLink(_("No link with the district: we will try again later."))

    def _open(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> Answer:
        request = urllib.request.Request(
            self.base + target,
            data=body if method in ("POST", "PUT") else None,
            headers=headers,
            method=method,
        )
        self.sent += (
            len(body)
            + len(method)
            + len(target)
            + 60
            + sum(len(k) + len(v) + 4 for k, v in headers.items())
        )
        started = time.perf_counter()
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
                got = {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
            got = {k.lower(): v for k, v in exc.headers.items()}
        self.log.append((method, target, status, time.perf_counter() - started))
        timing = got.get("server-timing", "")
        if "dur=" in timing:
            with contextlib.suppress(ValueError):
                self.server_ms += float(timing.split("dur=", 1)[1].split(";")[0].split(",")[0])
        self.received += len(raw) + 20 + sum(len(k) + len(v) + 4 for k, v in got.items())
        length = got.get("content-length")
        if length is not None and length.isdigit() and int(length) != len(raw):
            raise http.client.IncompleteRead(raw)
        return Answer(status, got, _inflate(raw, got))

    # -- the endpoints --------------------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        # Whether there is a link at all is known at once: two tries, not six.
        answer = self.request("GET", "/hello", signed=False, attempts=2)
        info = answer.json() if answer.status == 200 else {}
        if info.get("product") != PRODUCT:
            raise NotThisProduct(
                _(
                    "There is no district server of the intranet at this address: %(url)s",
                    url=self.base,
                )
            )
        if info.get("mode") != "district":
            raise NotThisProduct(
                _(
                    "This address is a school's copy, not the district server: %(url)s",
                    url=self.base,
                )
            )
        if isinstance(info.get("server_time"), int):
            self.offset = info["server_time"] - int(time.time())
        return info

    def enrol(self, code: str, public_key: str, name: str = "") -> tuple[bytes, str]:
        body = gzip.compress(
            json.dumps({"code": code, "public_key": public_key, "name": name}).encode(), mtime=0
        )
        answer = self.request(
            "POST",
            "/enrol",
            body,
            signed=False,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        if answer.status != 200:
            raise SyncError(answer.json().get("message") or _("The district refused the code."))
        return answer.body, answer.headers.get("x-sync-node", "")

    def push(self, data: bytes, part_bytes: int = PART_BYTES) -> dict[str, Any]:
        """Send a bundle in parts; the district's answer to the whole (its receipt)."""
        sha = hashlib.sha256(data).hexdigest()
        parts = max(1, -(-len(data) // part_bytes))
        query = f"?size={len(data)}&parts={parts}"
        for _round in range(self.attempts):
            state = self._checked(self.request("GET", f"/push/{sha}{query}"))
            if state.get("done"):
                return state
            have = set(state.get("have") or [])
            try:
                for number in range(parts):
                    if number in have:
                        continue
                    chunk = data[number * part_bytes : (number + 1) * part_bytes]
                    answer = self._checked(
                        self.request(
                            "PUT",
                            f"/push/{sha}/{number}{query}",
                            gzip.compress(chunk, compresslevel=6, mtime=0),
                            headers={
                                "Content-Type": "application/octet-stream",
                                "Content-Encoding": "gzip",
                            },
                        )
                    )
                    if answer.get("done"):
                        return answer
            except NoLink:
                if _round == self.attempts - 1:
                    raise
                continue
        raise NoLink(_("No link with the district: we will try again later."))

    def pull(self, after: int, confirmed: int) -> bytes | None:
        answer = self.request("GET", f"/pull?after={after}&confirmed={confirmed}")
        if answer.status == 204:
            return None
        if answer.status != 200:
            self._checked(answer)
        return answer.body

    def status(self) -> dict[str, Any]:
        return self._checked(self.request("GET", "/status"))

    def _checked(self, answer: Answer) -> dict[str, Any]:
        body = answer.json()
        if answer.status in (200, 202) or (answer.status in (403, 422) and body.get("done")):
            return body
        raise SyncError(
            body.get("message")
            or _("The district answered with an error (HTTP %(status)s).", status=answer.status)
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ARG002
        return None


def _retry_after(headers: dict[str, str]) -> float:
    value = headers.get("retry-after", "")
    return float(min(int(value), 300)) if value.isdigit() else 5.0


# -- the one sync --------------------------------------------------------------------------


@dataclass
class Report:
    """What one sync did, for people (``lines``) and for the command's exit code."""

    link: bool = True
    sent: int = 0
    confirmed: int = 0
    received: int = 0
    conflicts: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)
    bytes_up: int = 0
    bytes_down: int = 0

    @property
    def all_confirmed(self) -> bool:
        return self.link and not self.errors and not self.waiting and not self.conflicts

    def lines(self) -> list[str]:
        if not self.link:
            return [_("No link with the district: we will try again later.")] + self.errors
        out = [
            _(
                "Sent %(sent)s changes; the district confirmed %(confirmed)s; received from "
                "the district %(received)s records.",
                sent=self.sent,
                confirmed=self.confirmed,
                received=self.received,
            )
        ]
        if self.conflicts:
            out.append(
                _(
                    "In conflict: %(n)s. The same answer was changed at the district too; a "
                    "district reviewer chooses which value stays, and the choice comes with "
                    "the next sync. Nothing is lost meanwhile.",
                    n=self.conflicts,
                )
            )
        if self.waiting:
            out.append(
                _("Not yet confirmed: %(n)s; they go again with the next sync.", n=self.waiting)
            )
        out.extend(self.errors)
        if not self.errors and not self.waiting and not self.conflicts:
            out.append(_("Everything is confirmed by the district."))
        return out


_running = threading.Lock()


def _states(school_id: int) -> dict[str, int]:
    from sqlalchemy import func, select

    from intranet.changelog.models import Change
    from intranet.extensions import db

    return {
        state: int(n)
        for state, n in db.session.execute(
            select(Change.sync_state, func.count())
            .where(Change.school_id == school_id, Change.node_id.is_(None))
            .group_by(Change.sync_state)
        ).all()
    }


def district_url() -> str:
    from flask import current_app

    return str(current_app.config.get("SYNC_DISTRICT_URL") or "").strip()


def run_sync(client: DistrictClient | None = None, *, wait: float = 60.0) -> Report:
    """Push this copy's bundle, then pull the district's until nothing is left. One at a
    time in this process (the button, the background thread)."""
    if not _running.acquire(timeout=wait):
        return Report(errors=[_("A sync is already running: try again in a minute.")])
    try:
        return _run(client)
    finally:
        _running.release()


def _run(client: DistrictClient | None) -> Report:
    from intranet.extensions import db
    from sync import keys, nodes
    from sync.bundle import BundleRefused
    from sync.exporter import export_up
    from sync.importer import import_bundle

    report = Report()
    local = nodes.local()
    if local is None:
        report.errors.append(_("This copy is not enrolled yet: run «intranet sync init» first."))
        return report
    if client is None:
        url = district_url()
        if not url:
            report.errors.append(
                _(
                    "The district's address is not set: run «intranet sync init --district URL "
                    "--code CODE» or put SYNC_DISTRICT_URL into the instance's config.py."
                )
            )
            return report
        client = DistrictClient(url, local.node_id, keys.node_key())
    school_id = local.school_id
    before = _states(school_id)
    try:
        client.hello()
        exported = export_up()
        if exported.records:
            from flask import current_app

            part = int(current_app.config.get("SYNC_PART_BYTES") or PART_BYTES)
            answer = client.push(exported.data, part_bytes=part)
            report.sent = exported.records
            if (
                answer.get("error") == "revoked"
                or answer.get("status") == "refused"
                or answer.get("status") == "waiting"
            ):
                report.errors.append(str(answer.get("message") or ""))
        for _round in range(20):
            local = nodes.local()
            data = client.pull(local.feed_position, local.confirmed_seq)
            if data is None:
                break
            result = import_bundle(data)
            report.received += sum(v for k, v in result.counts.items() if k != "receipts")
    except NoLink as exc:
        db.session.rollback()
        report.link = False
        if str(exc) != _("No link with the district: we will try again later."):
            report.errors.append(str(exc))
    except (SyncError, BundleRefused) as exc:
        db.session.rollback()
        report.errors.append(str(exc))
    finally:
        report.bytes_up, report.bytes_down = client.sent, client.received
    after = _states(school_id)
    report.confirmed = max(0, after.get("confirmed", 0) - before.get("confirmed", 0))
    report.conflicts = after.get("conflict", 0)
    report.waiting = after.get("unsent", 0) + after.get("sent", 0)
    errors = after.get("error", 0)
    if errors:
        report.errors.append(
            _(
                "%(n)s changes were not accepted by the district (kept in its quarantine): "
                "call the district; the list is on this page.",
                n=errors,
            )
        )
    return report


# -- enrolment by code ---------------------------------------------------------------------


def _database_holds_data() -> bool:
    from sqlalchemy import inspect, select

    from intranet.extensions import db
    from intranet.schools.models import School

    if not inspect(db.engine).has_table("schools"):
        return False
    return db.session.scalar(select(School.id).limit(1)) is not None


def enrol_by_code(url: str, code: str, name: str = "", client: DistrictClient | None = None):
    """``intranet sync init --district URL --code CODE``: check the address is this
    product's district, make this PC's key, redeem the code, build the copy from the
    enrolment bundle it brings (``sync.enrol.init_copy``) and remember the address.
    Nothing is written before the district has answered with the bundle."""
    import os
    from pathlib import Path

    from flask import current_app

    from intranet.errors import Refused
    from sync import keys
    from sync.enrol import init_copy

    client = client or DistrictClient(url)
    client.hello()
    if _database_holds_data():
        raise Refused(
            _(
                "This database already holds data: a copy is made in an empty database "
                "(a new instance folder)."
            )
        )
    path = Path(current_app.instance_path) / keys.NODE_KEY
    key = keys.load_private_pem(path.read_bytes()) if path.exists() else keys.generate()
    data, _node = client.enrol(code.strip(), keys.public_text(key), name)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(keys.private_pem(key))
    done = init_copy(data)
    remember_district(client.base)
    return done


def remember_district(url: str) -> None:
    """Write ``SYNC_DISTRICT_URL`` into the instance's config.py (replacing an older one)."""
    from pathlib import Path

    from flask import current_app

    current_app.config["SYNC_DISTRICT_URL"] = url
    path = Path(current_app.instance_path) / "config.py"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = [line for line in text.splitlines() if not line.startswith("SYNC_DISTRICT_URL")]
    lines.append(f"SYNC_DISTRICT_URL = {url!r}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
