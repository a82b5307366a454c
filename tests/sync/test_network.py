"""The district server and a school's copy as two real processes on 127.0.0.1, each with
its own database (the district on PostgreSQL when the suite runs on it), syncing through
``/api/sync/v1/``: enrolment by code, work offline while the district is down, the
button, the background, and a link that drops mid-push and mid-pull."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixtures.live import Session
from tests.sync.netproxy import Proxy
from tests.sync.test_two_processes import BIN, ROOT, Side, _district_database
from tests.sync.twoproc_actions import PASSWORD

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``intranet serve`` of one side, on its own port."""

    def __init__(self, side: Side, port: int | None = None, **env: str) -> None:
        self.side = side
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(BIN / "intranet"), "serve", "--port", str(self.port), "--threads", "8"],
            env={**side.env, **env},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/sync/v1/hello")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def sides(tmp_path):
    district = Side(tmp_path / "district", "district", _district_database(tmp_path))
    school = Side(tmp_path / "school", "school")
    district.act("seed")
    servers: list[Server] = []
    yield district, school, servers
    for server in servers:
        if server.process.poll() is None:
            server.stop()


def _start(servers: list[Server], side: Side, port: int | None = None, **env) -> Server:
    server = Server(side, port, **env)
    servers.append(server)
    return server


def _code(district: Side) -> str:
    return district.intranet("sync", "code", "--school", "s1").stdout.strip().splitlines()[-1]


def _logged_in(url: str) -> Session:
    browser = Session(url)
    token = CSRF.search(browser.get("/login").text).group(1)
    answer = browser.post("/login", {"login": "head1", "password": PASSWORD, "csrf_token": token})
    assert answer.status == 302, answer.text
    return browser


def _press_sync(browser: Session) -> str:
    token = CSRF.search(browser.get("/sync/copy").text).group(1)
    answer = browser.post("/sync/copy/now", {"csrf_token": token})
    assert answer.status == 302, answer.text
    return browser.get("/sync/copy").text


def _each_once(district: Side, uuids: list[str]) -> None:
    state = district.act("district_state")
    for uuid in uuids:
        assert state["changes"].count(uuid) == 1, uuid


def test_enrol_by_code_work_offline_and_sync_both_ways(sides, tmp_path):
    district, school, servers = sides
    server = _start(servers, district)
    code = _code(district)
    out = school.intranet("sync", "init", "--district", server.url, "--code", code).stdout
    assert "head1" in out
    assert (Path(school.env["INTRANET_INSTANCE_PATH"]) / "sync_node_key").exists()
    # The same code on another PC: the same answer as a wrong one, nothing made there.
    other = Side(tmp_path / "school2", "school")
    used = other.intranet("sync", "init", "--district", server.url, "--code", code, check=False)
    wrong = other.intranet(
        "sync", "init", "--district", server.url, "--code", code[:-4] + "ZZZZ", check=False
    )
    assert used.returncode == wrong.returncode == 1
    assert used.stderr == wrong.stderr
    assert "неверен, уже использован или просрочен" in used.stderr
    assert not (Path(other.env["INTRANET_INSTANCE_PATH"]) / "sync_node_key").exists()

    # The district goes down; the school works offline; a sync says «no link», calmly.
    server.stop()
    made = school.act("school_edit")["unsent"]
    assert len(made) >= 5
    offline = school.intranet("sync", "now", check=False)
    assert offline.returncode == 2
    assert offline.stderr.strip() == "Нет связи, повторим позже."

    # Back: one sync sends everything and brings the receipts.
    server = _start(servers, district, server.port)
    done = school.intranet("sync", "now")
    assert "Управление подтвердило всё." in done.stdout
    assert {school.act("school_view")["states"][u] for u in made} == {"confirmed"}
    _each_once(district, made)

    # The district returns the form; the next sync shows it on the school.
    assert district.act("district_return") == {"status": "returned"}
    school.intranet("sync", "now")
    seen = school.act("school_view")
    assert seen["status"] == "returned"
    assert seen["comments"]["order"] == ["Нет даты приказа"]

    # Resubmitted on the school, sent with the button of the «Синхронизация» page.
    remade = school.act("school_resubmit")["unsent"]
    copy = _start(servers, school, SYNC_BACKGROUND="0")
    page = _press_sync(_logged_in(copy.url))
    assert "Отправлено изменений:" in page
    assert "Управление подтвердило всё." in page
    copy.stop()
    _each_once(district, made + remade)

    # The district accepts; the copy, running with its background sync, sees it alone.
    assert district.act("district_accept") == {"status": "accepted"}
    copy = _start(servers, school, SYNC_FIRST_DELAY_SECONDS="0.1", SYNC_AFTER_SUBMIT_SECONDS="0.1")
    Session(copy.url).get("/login")  # the first request starts the background thread
    deadline = time.monotonic() + 60
    while school.act("school_view")["status"] != "accepted":
        assert time.monotonic() < deadline, "the background sync did not bring the decision"
        time.sleep(1)
    copy.stop()
    assert school.intranet("sync", "now").returncode == 0
    _each_once(district, made + remade)


def test_a_link_dropping_mid_push_and_mid_pull_loses_and_doubles_nothing(sides):
    district, school, servers = sides
    server = _start(servers, district)
    pulls = {"n": 0}
    puts = {"n": 0}

    def plan(index, head):
        if head.startswith(b"PUT "):
            puts["n"] += 1
            if puts["n"] % 3 == 1:
                return ("up", 700)  # the request dies half-sent
            if puts["n"] % 3 == 2:
                return ("down", 30)  # the district took it, the answer dies
        if head.startswith(b"GET /api/sync/v1/pull"):
            pulls["n"] += 1
            if pulls["n"] <= 2:
                return ("down", 600)  # the bundle dies on its way down
        return None

    proxy = Proxy(server.port, plan=plan)
    try:
        school.intranet("sync", "init", "--district", proxy.url, "--code", _code(district))
        school.env["INTRANET_SYNC_PART_BYTES"] = "512"
        made = school.act("school_edit")["unsent"]
        done = school.intranet("sync", "now")
        assert "Управление подтвердило всё." in done.stdout
        kinds = {(d, h.split(b" ")[0]) for d, h in proxy.cuts}
        assert {("up", b"PUT"), ("down", b"PUT"), ("down", b"GET")} <= kinds
        assert {school.act("school_view")["states"][u] for u in made} == {"confirmed"}
        _each_once(district, made)

        assert district.act("district_return") == {"status": "returned"}
        pulls["n"] = 0
        school.intranet("sync", "now")
        assert school.act("school_view")["status"] == "returned"
        remade = school.act("school_resubmit")["unsent"]
        school.intranet("sync", "now")
        assert district.act("district_accept") == {"status": "accepted"}
        pulls["n"] = 0
        school.intranet("sync", "now")
        seen = school.act("school_view")
        assert seen["status"] == "accepted"
        assert {seen["states"][u] for u in made + remade} == {"confirmed"}
        _each_once(district, made + remade)
    finally:
        proxy.close()


def test_init_against_an_address_that_is_not_this_product_changes_nothing(tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Other(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = b"<html><body>Some other site</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Other)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    school = Side(tmp_path / "school", "school")
    folder = Path(school.env["INTRANET_INSTANCE_PATH"])
    before = {p.name for p in folder.iterdir()}
    try:
        url = f"http://127.0.0.1:{other.server_port}"
        done = school.intranet("sync", "init", "--district", url, "--code", "s1-AAAA", check=False)
    finally:
        other.shutdown()
        other.server_close()
    assert done.returncode == 1
    assert "По этому адресу не сервер управления образования" in done.stderr
    assert "Ничего не изменено" in done.stderr
    assert not (folder / "sync_node_key").exists()
    assert not (folder / "config.py").exists()
    left = {p.name for p in folder.iterdir()} - before - {"secret_key"}
    for name in left:  # at most the empty database file the app opens
        assert name.startswith("intranet.sqlite3")
        import sqlite3

        with sqlite3.connect(folder / name) as conn:
            assert conn.execute("select count(*) from sqlite_master").fetchone()[0] == 0
