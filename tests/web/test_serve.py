"""`splatrender serve`: real HTTP requests on 127.0.0.1 (Range, MIME, CORS, path escapes)."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from splatrender.cli.serve import FolderSite, SceneServer, entry_url, mount_points, parse_range

PAYLOAD = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture()
def site(tmp_path: Path):
    build = tmp_path / "build"
    (build / "pyodide").mkdir(parents=True)
    (build / "index.html").write_text("<!doctype html><title>viewer</title>")
    (build / "pyodide" / "pyodide.asm.wasm").write_bytes(b"\0asm" + b"\0" * 60)
    scenes = tmp_path / "scenes"
    (scenes / "set" / "L_0").mkdir(parents=True)
    (scenes / "a.splat").write_bytes(PAYLOAD)
    (scenes / "set" / "L_0" / "means.webp").write_bytes(b"RIFF0000WEBP")
    (scenes / "set" / "lod-meta.json").write_text("{}")
    (scenes / "set" / "x.wgsl").write_text("fn f() {}")
    for ext in ("spz", "ply", "sog"):
        (scenes / f"b.{ext}").write_bytes(b"x")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    os.symlink(secret, scenes / "set" / "escape.txt")
    os.symlink(tmp_path, scenes / "set" / "up")
    paths = [
        scenes / "a.splat",
        scenes / "set",
        *(scenes / f"b.{e}" for e in ("spz", "ply", "sog")),
    ]
    server = SceneServer(("127.0.0.1", 0), mount_points(paths), FolderSite(build), cors=True)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server
    server.shutdown()
    server.server_close()


def get(server, path, method="GET", headers=None):
    host, port = server.server_address[:2]
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.putrequest(method, path, skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


def test_serves_viewer_and_scenes_with_mime_types(site):
    r, body = get(site, "/")
    assert r.status == 200 and b"viewer" in body
    assert r.getheader("Content-Type").startswith("text/html")
    cases = {
        "/pyodide/pyodide.asm.wasm": "application/wasm",
        "/scenes/a.splat": "application/octet-stream",
        "/scenes/b.spz": "application/octet-stream",
        "/scenes/b.ply": "application/octet-stream",
        "/scenes/b.sog": "application/zip",
        "/scenes/set/L_0/means.webp": "image/webp",
        "/scenes/set/lod-meta.json": "application/json",
        "/scenes/set/x.wgsl": "text/wgsl",
    }
    for path, mime in cases.items():
        r, _ = get(site, path)
        assert r.status == 200, path
        assert r.getheader("Content-Type").split(";")[0] == mime, path
    r, body = get(site, "/scenes/a.splat")
    assert body == PAYLOAD and r.getheader("Accept-Ranges") == "bytes"
    assert r.getheader("Access-Control-Allow-Origin") == "*"


def test_range_requests(site):
    r, body = get(site, "/scenes/a.splat", headers={"Range": "bytes=100-199"})
    assert r.status == 206 and body == PAYLOAD[100:200]
    assert r.getheader("Content-Range") == f"bytes 100-199/{len(PAYLOAD)}"
    r, body = get(site, "/scenes/a.splat", headers={"Range": "bytes=10000-"})
    assert r.status == 206 and body == PAYLOAD[10000:]
    r, body = get(site, "/scenes/a.splat", headers={"Range": "bytes=-40"})
    assert r.status == 206 and body == PAYLOAD[-40:]
    r, body = get(site, "/scenes/a.splat", headers={"Range": "bytes=10200-99999"})
    assert r.status == 206 and body == PAYLOAD[10200:]
    r, _ = get(site, "/scenes/a.splat", headers={"Range": "bytes=20000-"})
    assert r.status == 416 and r.getheader("Content-Range") == f"bytes */{len(PAYLOAD)}"
    r, body = get(site, "/scenes/a.splat", method="HEAD", headers={"Range": "bytes=0-9"})
    assert r.status == 206 and body == b"" and r.getheader("Content-Length") == "10"


def test_refuses_paths_outside_the_roots(site):
    for path in (
        "/../secret.txt",
        "/scenes/../../secret.txt",
        "/scenes/set/..%2f..%2fsecret.txt",
        "/scenes/set/%2e%2e/%2e%2e/secret.txt",
        "/scenes/set/escape.txt",  # symlink to a file outside
        "/scenes/set/up/secret.txt",  # symlink to a folder outside
        "/scenes/set/..%5c..%5csecret.txt",
        "/scenes/a.splat/x",
        "/scenes/nothing",
        "/%00",
    ):
        r, body = get(site, path)
        assert r.status == 404, path
        assert b"do not serve" not in body


def test_cors_preflight(site):
    r, _ = get(site, "/scenes/a.splat", method="OPTIONS")
    assert r.status == 204
    assert r.getheader("Access-Control-Allow-Origin") == "*"
    assert "Range" in r.getheader("Access-Control-Allow-Headers")


def test_parse_range():
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range("bytes=5-", 10) == (5, 9)
    assert parse_range("bytes=-3", 10) == (7, 9)
    assert parse_range("bytes=9-3", 10) is None
    assert parse_range("bytes=0-1,4-5", 10) == (0, 9)
    assert parse_range("items=1-2", 10) == (0, 9)


def test_mount_names_are_unique(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "s.ply").write_bytes(b"1")
    (tmp_path / "b" / "s.ply").write_bytes(b"2")
    m = mount_points([tmp_path / "a" / "s.ply", tmp_path / "b" / "s.ply"])
    assert list(m) == ["/scenes/s.ply", "/scenes/s-2.ply"]


def test_cli_prints_the_url(tmp_path):
    scene = tmp_path / "x.splat"
    scene.write_bytes(PAYLOAD)
    cmd = [
        sys.executable,
        "-c",
        (
            "import argparse, sys\n"
            "from splatrender.cli import serve\n"
            "ap = argparse.ArgumentParser(); sub = ap.add_subparsers(); serve.add_parser(sub)\n"
            "a = ap.parse_args(sys.argv[1:]); sys.exit(a.run(a))\n"
        ),
        "serve",
        str(scene),
        "--port",
        "0",
        "--cdn",
        "--cors",
    ]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        for _ in range(5):
            line = p.stdout.readline()
            if line.startswith("Serving"):
                break
        assert line.startswith("Serving splatrender on http://127.0.0.1:"), line
        url = line.split()[-1]
        assert url.endswith("?src=/scenes/x.splat")
        assert "cdn.jsdelivr.net" in p.stderr.readline()  # where the page takes Pyodide from
        port = int(url.split(":")[2].split("/")[0])
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/scenes/x.splat")
        r = c.getresponse()
        assert r.status == 200 and r.read() == PAYLOAD
        c.close()
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_folder_scenes_open_by_their_manifest(tmp_path):
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "lod-meta.json").write_text("{}")
    (tmp_path / "empty").mkdir()
    assert entry_url("/scenes/set", tmp_path / "set") == "/scenes/set/lod-meta.json"
    assert entry_url("/scenes/empty", tmp_path / "empty") is None
