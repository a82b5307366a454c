"""A small TCP proxy in front of a test server: it can cut connections part-way (a link
that drops mid-push or mid-pull) and throttle both directions (a slow school link).

``plan(index, head)`` decides for each new connection (``head`` is the first bytes the
client sent, e.g. ``b"PUT /api/sync/v1/push/..."``): ``None`` to pass it through,
``("up", n)`` to forward only ``n`` bytes of the request and drop the connection, or
``("down", n)`` to forward the whole request but only ``n`` bytes of the answer.
``rate`` (bytes per second, each direction) throttles the link. Bytes are counted.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable


class Proxy:
    def __init__(
        self,
        target_port: int,
        *,
        plan: Callable[[int, bytes], tuple[str, int] | None] | None = None,
        rate: float | None = None,
        latency: float = 0.0,
    ) -> None:
        self.target = ("127.0.0.1", target_port)
        self.plan = plan
        self.rate = rate
        self.latency = latency
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self.cuts: list[tuple[str, bytes]] = []
        self.up = 0
        self.down = 0
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self.sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _addr = self.sock.accept()
            except OSError:
                return
            with self._lock:
                index = self.connections
                self.connections += 1
            threading.Thread(target=self._serve, args=(client, index), daemon=True).start()

    def _send(self, sock: socket.socket, data: bytes, direction: str) -> None:
        step = 1024 if self.rate else len(data) or 1
        for start in range(0, len(data), step):
            chunk = data[start : start + step]
            sock.sendall(chunk)
            with self._lock:
                if direction == "up":
                    self.up += len(chunk)
                else:
                    self.down += len(chunk)
            if self.rate:
                time.sleep(len(chunk) / self.rate)

    def _serve(self, client: socket.socket, index: int) -> None:
        upstream = None
        try:
            head = client.recv(65536)
            if not head:
                return
            decision = self.plan(index, head) if self.plan else None
            if self.latency:
                time.sleep(self.latency)
            upstream = socket.create_connection(self.target, timeout=120)
            done = threading.Event()

            def pump_up() -> None:
                sent = 0
                data = head
                try:
                    while data:
                        if decision and decision[0] == "up" and sent + len(data) >= decision[1]:
                            self._send(upstream, data[: max(0, decision[1] - sent)], "up")
                            self.cuts.append(("up", head[:60]))
                            done.set()
                            return
                        self._send(upstream, data, "up")
                        sent += len(data)
                        data = client.recv(65536)
                except OSError:
                    pass
                finally:
                    if not done.is_set():
                        with contextlib.suppress(OSError):
                            upstream.shutdown(socket.SHUT_WR)

            def pump_down() -> None:
                got = 0
                try:
                    while True:
                        data = upstream.recv(65536)
                        if not data:
                            break
                        if decision and decision[0] == "down" and got + len(data) >= decision[1]:
                            self._send(client, data[: max(0, decision[1] - got)], "down")
                            self.cuts.append(("down", head[:60]))
                            break
                        self._send(client, data, "down")
                        got += len(data)
                except OSError:
                    pass
                finally:
                    done.set()

            up = threading.Thread(target=pump_up, daemon=True)
            down = threading.Thread(target=pump_down, daemon=True)
            up.start()
            down.start()
            done.wait(300)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                if sock is None:
                    continue
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
