"""``intranet serve``: waitress, in one process or in one process per core.

Python runs one thread of Python code at a time, so more threads in one process only
queue requests; a district server needs processes to use its cores. They are waitress
processes forked on Linux after one listening socket is bound, and the kernel hands
each new connection to whichever is free. Waitress rather than a prefork server such as
gunicorn: its I/O thread buffers a response and trickles it to a school on a slow link
while the app's threads serve others (gunicorn's sync workers would be held by every slow
client unless a buffering proxy stands in front), and the school copy on Windows runs the
very same server, only without forking. A small supervisor replaces a process that dies.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
import traceback

from flask import Flask


def default_workers(app: Flask) -> int:
    """One process per core for a district server (a server database on an OS that can
    fork); one for a school copy or a demo on SQLite, and always one on Windows."""
    if (
        not hasattr(os, "fork")
        or app.config.get("MODE") == "school"
        or app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    ):
        return 1
    return cpu_count()


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use
    except AttributeError:
        return os.cpu_count() or 1


def serve(app: Flask, host: str, port: int, threads: int, workers: int, echo=print) -> None:
    from waitress import serve as waitress_serve

    if workers <= 1 or not hasattr(os, "fork"):
        echo(f"Serving on http://{host}:{port}/ with {threads} threads  (Ctrl+C to stop)")
        waitress_serve(app, host=host, port=port, threads=threads)
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=1024)
    echo(
        f"Serving on http://{host}:{port}/ with {workers} processes of {threads} threads"
        "  (Ctrl+C to stop)"
    )
    _supervise(app, sock, threads, workers)


def _child(app: Flask, sock: socket.socket, threads: int) -> None:
    from waitress import serve as waitress_serve

    from intranet.extensions import db

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # Connections opened before the fork belong to the parent; never share them.
    if "sqlalchemy" in app.extensions:
        with app.app_context():
            db.engine.dispose(close=False)
    code = 0
    try:
        waitress_serve(app, sockets=[sock], threads=threads, _quiet=True)
    except KeyboardInterrupt:
        pass
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _supervise(app: Flask, sock: socket.socket, threads: int, workers: int) -> None:
    children: set[int] = set()
    stopping = False

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:
            _child(app, sock, threads)
        children.add(pid)

    def stop(signum, frame) -> None:  # noqa: ARG001
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        spawn()
    try:
        while children:
            try:
                pid, _status = os.wait()
            except ChildProcessError:
                break
            children.discard(pid)
            if not stopping:
                time.sleep(1)  # a process that dies at once must not spin the machine
            if not stopping:
                spawn()
    finally:
        sock.close()
