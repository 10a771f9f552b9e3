"""`splatrender serve PATH...`: the web viewer and scene files from localhost.

URL layout: ``/`` is the web viewer (:mod:`splatrender.web.site`: the page, splatrender's
browser wheel, the cached Pyodide runtime or a pointer to its CDN); each PATH is mounted
at ``/scenes/<its name>`` (a file) or ``/scenes/<folder>/...``.
HTTP Range requests are answered (206), MIME types are set for the viewer's and the
scenes' files, ``--cors`` adds ``Access-Control-Allow-Origin: *``, and no request can
reach outside the served roots (``..``, encoded separators and symlinks are resolved
before the check).
"""

from __future__ import annotations

import argparse
import io
import mimetypes
import os
import re
import sys
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO, Protocol

from .web import add_site_options, site_from


class Site(Protocol):
    """What is served at ``/`` (:class:`splatrender.web.site.Site`, or a folder)."""

    def lookup(self, path: str) -> Path | bytes | None: ...


class FolderSite:
    """A folder served at ``/`` (an exported viewer, a page of one's own)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))

    def lookup(self, path: str) -> Path | None:
        return _inside(self.root, path)


MIME = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".wasm": "application/wasm",
    ".wgsl": "text/wgsl; charset=utf-8",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".webp": "image/webp",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".sog": "application/zip",  # bundled SOG is a zip archive
    ".spz": "application/octet-stream",
    ".ply": "application/octet-stream",
    ".splat": "application/octet-stream",
    ".ksplat": "application/octet-stream",
    ".glb": "model/gltf-binary",
    ".gltf": "model/gltf+json",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 1 << 16


def content_type(path: Path) -> str:
    return (
        MIME.get(path.suffix.lower())
        or mimetypes.guess_type(path.name)[0]
        or ("application/octet-stream")
    )


def mount_points(paths: list[Path]) -> dict[str, Path]:
    """``/scenes/<name>`` for each path, names made unique with a ``-2``, ``-3`` suffix."""
    mounts: dict[str, Path] = {}
    for p in paths:
        name = p.name or "scene"
        key, i = name, 2
        while f"/scenes/{key}" in mounts:
            stem, dot, ext = name.partition(".")
            key = f"{stem}-{i}{dot}{ext}"
            i += 1
        mounts[f"/scenes/{key}"] = p
    return mounts


class Handler(BaseHTTPRequestHandler):
    """GET/HEAD (with Range) and OPTIONS over the server's mounts."""

    server: SceneServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def end_headers(self) -> None:
        if self.server.cors:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "Range")
            self.send_header("Access-Control-Expose-Headers", "Content-Length, Content-Range")
        super().end_headers()

    def do_OPTIONS(self) -> None:
        self.send_response(HTTPStatus.NO_CONTENT)
        self.send_header("Allow", "GET, HEAD, OPTIONS")
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _fail(self, status: HTTPStatus, extra: dict[str, str] | None = None) -> None:
        msg = f"{status.value} {status.phrase}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(msg)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(msg)

    def _serve(self, body: bool) -> None:
        found = self.server.resolve(self.path)
        if found is None:
            self._fail(HTTPStatus.NOT_FOUND)
            return
        name, f = self._open(found)
        if f is None:
            self._fail(HTTPStatus.NOT_FOUND)
            return
        with f:
            size = f.seek(0, os.SEEK_END)
            start, end = 0, size - 1
            status = HTTPStatus.OK
            rng = self.headers.get("Range")
            if rng:
                parsed = parse_range(rng, size)
                if parsed is None:
                    self._fail(
                        HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                        {"Content-Range": f"bytes */{size}"},
                    )
                    return
                if parsed != (0, size - 1) or size == 0:
                    start, end = parsed
                    status = HTTPStatus.PARTIAL_CONTENT
            length = max(0, end - start + 1)
            self.send_response(status)
            self.send_header("Content-Type", content_type(name))
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Cache-Control", "no-cache")
            if status == HTTPStatus.PARTIAL_CONTENT:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            if not body:
                return
            f.seek(start)
            left = length
            try:
                while left > 0:
                    chunk = f.read(min(_CHUNK, left))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    left -= len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def _open(self, found: Path | bytes) -> tuple[Path, BinaryIO | None]:
        """(name for the MIME type, readable file) of what ``resolve`` found."""
        if isinstance(found, bytes):
            return Path(urllib.parse.urlsplit(self.path).path), io.BytesIO(found)
        try:
            return found, open(found, "rb")
        except OSError:
            return found, None


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One ``bytes=a-b`` range as inclusive (start, end); None if unsatisfiable.

    Multi-range requests are answered with the whole file (allowed by RFC 9110).
    """
    if "," in header:
        return (0, size - 1)
    m = _RANGE.match(header.strip())
    if m is None or (not m.group(1) and not m.group(2)):
        return (0, size - 1) if size else None  # malformed: ignore it (RFC 9110)
    a, b = m.group(1), m.group(2)
    if not a:  # suffix: the last b bytes
        n = int(b)
        if n == 0 or size == 0:
            return None
        return (max(0, size - n), size - 1)
    start = int(a)
    end = min(int(b), size - 1) if b else size - 1
    if start >= size or end < start:
        return None
    return (start, end)


class SceneServer(ThreadingHTTPServer):
    """Serves the viewer ``site`` at ``/`` and each mount at its prefix; nothing else."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        mounts: dict[str, Path],
        site: Site | None,
        cors: bool = False,
        verbose: bool = False,
    ) -> None:
        self.mounts = {k: Path(os.path.realpath(v)) for k, v in mounts.items()}
        self.site = site
        self.cors = cors
        self.verbose = verbose
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def resolve(self, url_path: str) -> Path | bytes | None:
        """The file (or generated bytes) a URL path names, or None when it is missing or
        outside every root."""
        raw = urllib.parse.urlsplit(url_path).path
        path = urllib.parse.unquote(raw)
        if "\0" in path or "\\" in path:
            return None
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") for p in parts):
            return None
        clean = "/" + "/".join(parts)
        for prefix, root in self.mounts.items():
            if clean == prefix or clean.startswith(prefix + "/"):
                rest = clean[len(prefix) :].lstrip("/")
                return _inside(root, rest)
        if self.site is not None:
            return self.site.lookup("/".join(parts))
        return None


ENTRY_FILES = ("lod.json", "lod-meta.json", "meta.json")  # what opens a scene folder


def entry_url(prefix: str, path: Path) -> str | None:
    """The URL that opens the scene at ``path`` mounted at ``prefix`` (None: not a scene)."""
    if path.is_file():
        return prefix
    name = next((n for n in ENTRY_FILES if (path / n).is_file()), None)
    return f"{prefix}/{name}" if name else None


def _inside(root: Path, rest: str) -> Path | None:
    """``root/rest`` if, after resolving symlinks, it is a file inside ``root``."""
    if root.is_file():
        return root if not rest else None
    target = Path(os.path.realpath(root / rest)) if rest else root
    if target.is_dir():
        target = target / "index.html"
    try:
        target.relative_to(root)
    except ValueError:
        return None
    return target if target.is_file() else None


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the web viewer and scene files from localhost",
        description="Serve the web viewer at / and each PATH at /scenes/<name> from "
        "localhost, with HTTP Range and MIME types; nothing outside the given paths.",
    )
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="scene files or folders")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free)")
    p.add_argument("--cors", action="store_true", help="allow any origin (CORS headers)")
    add_site_options(p)
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import SplatError

    for p in args.paths:
        if not p.exists():
            raise SplatError(f"{p}: no such file or folder")
    site = site_from(args)
    print(site.runtime_note, file=sys.stderr)
    mounts = mount_points(list(args.paths))
    try:
        server = SceneServer((args.host, args.port), mounts, site, args.cors, args.verbose)
    except OSError as e:
        raise SplatError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    first = next(filter(None, (entry_url(k, Path(v)) for k, v in mounts.items())), None)
    url = server.url + (f"?src={urllib.parse.quote(first)}" if first else "")
    for prefix, path in mounts.items():
        print(f"  {prefix} -> {path}")
    print(f"Serving splatrender on {url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


__all__ = [
    "FolderSite",
    "SceneServer",
    "add_parser",
    "content_type",
    "entry_url",
    "mount_points",
    "parse_range",
]
