"""Numpy-free runtime decoding: scene bytes -> GPU splat pool (web viewer, native viewer).

The CPU does only what needs the CPU: parsing headers in pure Python and entropy
decoding (gzip with the standard library's ``zlib``, zstd and WebP through *codecs*).
Every per-splat step runs in WGSL (``shaders/decode_*.wgsl``), writing straight into
the pages of a :class:`~splatrender.render.pool.SplatPool`. The numpy readers in
:mod:`splatrender.formats` are the twins these decoders are tested against.

Formats: INRIA PLY (binary, float32 properties), compressed PLY, ``.splat``,
``.ksplat`` (levels 0-2), SPZ v1-v4, SOG v2 (``.sog`` zip or meta.json + WebP files),
glTF/GLB with ``KHR_gaussian_splatting`` (float accessors).

Usage::

    scene = await load_to_pool(device, data, name="scene.spz")        # bytes
    scene = await load_to_pool(device, {"meta.json": ..., "means_l.webp": ...},
                               name="scene/", codecs=my_codecs)       # a SOG folder
    renderer.set_pool(scene.pool)

The codecs protocol (what the browser must pass; natively the default uses
``zstandard`` and Pillow, imported on first use):

``codecs.zstd_decompress(data: bytes, max_size: int) -> bytes``
    Decompress a zstd stream (SPZ v4). Must not produce more than ``max_size + 1``
    bytes (stop early); the caller requires the exact size it expects.
``codecs.decode_webp(data: bytes) -> (width, height, rgba)``
    Decode a (lossless) WebP into ``width*height*4`` RGBA8 bytes, top row first,
    **straight alpha, no premultiplication and no colour-space conversion** (SOG
    texels are data; a canvas round trip corrupts RGB where alpha < 255).

Either method may be ``async`` / return a JS promise, and may return a JS
``Uint8Array`` proxy instead of ``bytes``. Any exception a codec raises becomes a
``FormatError`` naming the file. Sizes are checked before decoding (counts against
file sizes, zstd/gzip output against the header's expectation, WebP dimensions from
the WebP header), so a hostile file is refused before anything large is allocated.

This package must not import numpy (tests check it with numpy blocked).
"""

from __future__ import annotations

from ...io.codecs import Codecs, NativeCodecs, native_codecs
from .load import load_to_pool

__all__ = ["Codecs", "NativeCodecs", "load_to_pool", "native_codecs"]
