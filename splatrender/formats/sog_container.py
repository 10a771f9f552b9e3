"""SOG v2 container: the bundled ``.sog`` zip, ``meta.json`` and its fields, in pure
Python, so the numpy reader (formats/sog.py) and the numpy-free runtime decoder
(formats/runtime/sog.py) open and validate a scene the same way."""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Callable

from ..errors import FormatError
from ._io import MAX_RATIO, MAX_SPLATS, SMALL_OUTPUT

ZIP_MAGIC = b"PK\x03\x04"
MAX_META = 16 << 20


def zip_member_reader(name: str, data: bytes) -> Callable[[str], bytes]:
    """``member(file_name) -> bytes`` over a ``.sog`` zip (folders ignored), each member
    inflated only on request and refused past MAX_RATIO times the zip's size."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = {i.filename.rsplit("/", 1)[-1]: i for i in z.infolist() if not i.is_dir()}
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise FormatError(name, f"corrupt .sog zip: {e}") from None
    if "meta.json" not in infos:
        raise FormatError(name, ".sog zip has no meta.json")
    cap = max(SMALL_OUTPUT, len(data) * MAX_RATIO)

    def member(file: str) -> bytes:
        info = infos.get(file.rsplit("/", 1)[-1])
        if info is None:
            raise FormatError(name, f".sog zip lacks {file!r}")
        if info.file_size > cap:
            raise FormatError(name, f".sog member {file!r} claims {info.file_size:,} bytes")
        try:
            with z.open(info) as f:
                out = f.read(cap + 1)
        except Exception as e:  # zipfile/zlib/bz2/lzma errors come in assorted types
            raise FormatError(name, f"corrupt .sog member {file!r}: {e}") from None
        if len(out) > cap:
            raise FormatError(name, f".sog member {file!r} inflates past {cap:,} bytes")
        return out

    return member


def parse_meta(name: str, data: bytes) -> dict:
    if len(data) > MAX_META:
        raise FormatError(name, "SOG meta.json is larger than 16 MiB")
    try:
        meta = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise FormatError(name, f"SOG meta.json is not valid JSON: {e}") from None
    if not isinstance(meta, dict):
        raise FormatError(name, "SOG meta.json is not a JSON object")
    version = meta.get("version")
    if version is None:
        raise FormatError(name, "SOG version 1 (meta.json without 'version') is not supported")
    if version != 2:
        raise FormatError(name, f"unsupported SOG version {version!r}")
    return meta


def field(name: str, meta: dict, *keys: object):
    """``meta[k0][k1]...``, or a FormatError naming the missing path."""
    cur = meta
    try:
        for k in keys:
            cur = cur[k]
    except (KeyError, IndexError, TypeError):
        raise FormatError(name, f"SOG meta.json lacks {'.'.join(map(str, keys))}") from None
    return cur


def splat_count(name: str, meta: dict) -> tuple[int, int]:
    """(splat count, most texels a texture of the scene may have)."""
    count = field(name, meta, "count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise FormatError(name, f"SOG count {count!r} is not a non-negative integer")
    if count > MAX_SPLATS:
        raise FormatError(name, f"SOG claims {count:,} splats, above {MAX_SPLATS:,}")
    # Textures are near-square with sides padded to a multiple of 4.
    side = math.isqrt(max(count, 1) - 1) + 1 + 8
    return count, max(side * side * 2, 4096)
