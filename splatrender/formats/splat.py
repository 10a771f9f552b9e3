"""antimatter15 ``.splat``: 32 bytes per splat, no header.

Record: position 3xf32, linear scale 3xf32, colour RGBA u8 (A = opacity), rotation
4xu8 w,x,y,z mapped from [-1,1] as ``q*128+128``. Frame: the INRIA PLY it was made
from (RDF). SH degree 0.
"""

from __future__ import annotations

import numpy as np

from ..errors import FormatError
from ._io import MAX_SPLATS, Source
from ._util import dc_to_rgb, logit, normalize_quats, rgb_to_dc, sigmoid
from .splats import AXES_RDF, Splats

FORMAT = "splat"
RECORD = np.dtype([("pos", "<f4", 3), ("scale", "<f4", 3), ("rgba", "u1", 4), ("rot", "u1", 4)])


def read(src: Source, **_: object) -> Splats:
    data = src.data
    if len(data) % 32:
        raise FormatError(src.name, f".splat size {len(data):,} is not a multiple of 32 bytes")
    n = len(data) // 32
    if n > MAX_SPLATS:
        raise FormatError(src.name, f".splat holds {n:,} splats, above {MAX_SPLATS:,}")
    rec = np.frombuffer(data, RECORD, n)
    quirks = []
    with np.errstate(divide="ignore", invalid="ignore"):
        scales = np.log(rec["scale"].astype(np.float32))
    bad = int(np.count_nonzero(~(rec["scale"] > 0)))
    if bad:
        quirks.append(f"{bad} splats with non-positive scale (log is -inf/NaN)")
    rgba = rec["rgba"].astype(np.float32) / 255.0
    quats = (rec["rot"].astype(np.float32) - 128.0) / 128.0
    sh = rgb_to_dc(rgba[:, :3])[:, None, :]
    return Splats(
        rec["pos"],
        scales,
        quats,
        logit(rgba[:, 3]),
        sh,
        axes=AXES_RDF,
        format=FORMAT,
        quirks=quirks,
    )


def to_bytes(s: Splats, **_: object) -> bytes:
    """32-byte records; view-dependent SH is dropped, order kept."""
    rec = np.zeros(s.count, RECORD)
    rec["pos"] = s.means
    rec["scale"] = np.exp(s.scales)
    rgb = dc_to_rgb(s.sh[:, 0])
    rec["rgba"][:, :3] = np.clip(np.round(rgb * 255.0), 0, 255)
    rec["rgba"][:, 3] = np.clip(np.round(sigmoid(s.opacities) * 255.0), 0, 255)
    q = normalize_quats(s.quats)
    rec["rot"] = np.clip(np.round(q * 128.0 + 128.0), 0, 255)
    return rec.tobytes()
