"""A local HTTP server (127.0.0.1, ephemeral port) with Range support that misbehaves.

Each distinct request (path + range) fails its first ``plan(key)`` attempts in a mode
picked from the key: delay, drop the connection, truncate the body, corrupt bytes, or
answer 503. Paths in ``always_corrupt`` never get a good answer; requests for a path in
``stall`` block until ``release`` is set (to prove the frame loop does not wait).
"""

from __future__ import annotations

import os
import re
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("delay", "drop", "truncate", "corrupt", "error")


class FlakyServer:
    def __init__(self, root: str, failures: int = 2, delay: float = 0.05) -> None:
        self.root = root
        self.failures = failures
        self.delay = delay
        self.attempts: dict[str, list[float]] = {}
        self.always_corrupt: set[str] = set()
        self.stall_keys: set[str] = set()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.bytes_sent = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # quiet
                pass

            def do_GET(self):
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __enter__(self) -> FlakyServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.lstrip("/")
        full = os.path.join(self.root, path)
        if ".." in path or not os.path.isfile(full):
            h.send_error(404)
            return
        with open(full, "rb") as f:
            data = f.read()
        rng = h.headers.get("Range")
        a, b = 0, len(data) - 1
        if rng:
            m = re.fullmatch(r"bytes=(\d+)-(\d+)", rng)
            a, b = int(m.group(1)), min(int(m.group(2)), len(data) - 1)
        key = f"{path}@{a}"
        with self.lock:
            tries = self.attempts.setdefault(key, [])
            tries.append(time.monotonic())
            n = len(tries)
        body = data[a : b + 1]
        if key in self.stall_keys:
            self.release.wait(30)
        bad = key in self.always_corrupt or (not path.endswith(".json") and n <= self.failures)
        mode = MODES[zlib.crc32(key.encode()) % len(MODES)] if bad else "ok"
        if key in self.always_corrupt:
            mode = "corrupt"
        if mode == "delay":
            time.sleep(self.delay)
            mode = "ok"
        if mode == "drop":
            h.close_connection = True
            h.connection.shutdown(2)
            return
        if mode == "error":
            h.send_error(503)
            return
        h.send_response(206 if rng else 200)
        h.send_header("Content-Length", str(len(body)))
        if rng:
            h.send_header("Content-Range", f"bytes {a}-{b}/{len(data)}")
        h.end_headers()
        if mode == "truncate":
            h.wfile.write(body[: len(body) // 2])
            h.close_connection = True
            h.wfile.flush()
            h.connection.shutdown(2)
            return
        if mode == "corrupt":
            body = bytearray(body)
            body[len(body) // 2] ^= 0xFF
            body = bytes(body)
        h.wfile.write(body)
        with self.lock:
            self.bytes_sent += len(body)
