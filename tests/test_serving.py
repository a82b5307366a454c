"""``intranet serve`` uses every core of a district server: one waitress process per core,
sharing one socket, replaced when one dies; a school copy stays one process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from intranet import create_app, serving

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="processes are forked on Linux")


def _children(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(status.parent.name))
    return found


def _wait_for(condition, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return 0


def test_default_is_one_process_per_core_for_a_server_database_and_one_on_sqlite():
    server = create_app(
        {"SQLALCHEMY_DATABASE_URI": "postgresql://x@db/intranet", "SECRET_KEY": "k"}
    )
    assert serving.default_workers(server) == len(os.sched_getaffinity(0))
    school = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///school.sqlite3", "SECRET_KEY": "k"})
    assert serving.default_workers(school) == 1


def test_serve_with_two_workers_answers_from_two_processes_and_replaces_a_dead_one(tmp_path):
    env = {
        **os.environ,
        "INTRANET_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "INTRANET_INSTANCE_PATH": str(tmp_path),
    }
    intranet = [str(Path(sys.executable).parent / "intranet")]
    subprocess.run([*intranet, "db", "upgrade"], env=env, check=True, capture_output=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*intranet, "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        workers = _wait_for(lambda: len(_children(server.pid)) == 2 and _children(server.pid))
        _wait_for(lambda: _get(url) == 200)
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(_get, [url] * 40)) == {200}
        # A process that dies is replaced, and the server keeps answering meanwhile.
        dead = min(workers)
        os.kill(dead, signal.SIGKILL)
        assert _get(url) == 200
        replaced = _wait_for(
            lambda: (
                len(_children(server.pid)) == 2
                and dead not in _children(server.pid)
                and _children(server.pid)
            )
        )
        assert len(replaced & workers) == 1
        assert _get(url) == 200
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=20)[0].decode()
    assert "2 processes" in output
    assert server.returncode == 0
    assert _children(server.pid) == set()
