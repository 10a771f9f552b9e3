"""INRIA 3DGS PLY (and plain point-cloud PLY) reader and writer.

Properties are looked up by name, never by position. SH rest coefficients are
channel-major: for degree d with K=(d+1)^2, ``f_rest_{c*(K-1)+j}`` is coefficient
``j+1`` of channel ``c``. The degree comes from the number of ``f_rest_*``
properties. Normals and unknown properties are ignored. Frame: RDF.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import FormatError
from . import plyheader
from ._io import Source
from ._util import logit, rgb_to_dc
from .splats import AXES_RDF, Splats, sh_coeffs

FORMAT = "ply"
FORMAT_POINTS = "ply-pointcloud"

GAUSSIAN_KEYS = ("scale_0", "rot_0", "opacity", "f_dc_0")
POINT_OPACITY = 0.9  # opacity given to point-cloud points
OPACITY_MODES = ("auto", "logit", "linear")


def read(src: Source, *, opacity: str = "auto", **_: object) -> Splats:
    """Read a 3DGS PLY or a point-cloud PLY (x,y,z + optional colour)."""
    if opacity not in OPACITY_MODES:
        raise ValueError(f"opacity must be one of {OPACITY_MODES}, got {opacity!r}")
    data = src.data
    h = plyheader.parse_header(src, data)
    v = h.element("vertex")
    if v is None:
        raise FormatError(src.name, "PLY has no 'vertex' element")
    names = set(v.names())
    if not {"x", "y", "z"} <= names:
        raise FormatError(src.name, "PLY vertex element lacks x, y, z")
    arr = plyheader.read_elements(src, data, h, {"vertex"})["vertex"]
    if any(k in names for k in GAUSSIAN_KEYS):
        return _gaussians(src, arr, names, h.comments, opacity)
    return _points(src, arr, names)


def _col(arr: np.ndarray, name: str) -> np.ndarray:
    return arr[name].astype(np.float32)


def _float_view(arr: np.ndarray) -> tuple[np.ndarray | None, dict[str, int]]:
    """A packed all-float32 record array as an (n, fields) float32 view (INRIA files)."""
    dt = arr.dtype
    fields = dt.names
    if (
        all(dt.fields[f][0] == np.dtype("<f4") for f in fields)
        and dt.itemsize == 4 * len(fields)
        and arr.strides == (dt.itemsize,)
    ):
        return arr.view("<f4").reshape(arr.shape[0], len(fields)), {
            f: i for i, f in enumerate(fields)
        }
    return None, {}


def _stack(arr: np.ndarray, names: list[str]) -> np.ndarray:
    """Columns ``names`` of a structured array as one (n, len(names)) float32 array."""
    out = np.empty((arr.shape[0], len(names)), np.float32)
    for i, n in enumerate(names):
        out[:, i] = arr[n]
    return out


def _gaussians(
    src: Source, arr: np.ndarray, names: set[str], comments: list[str], opacity_mode: str
) -> Splats:
    n = arr.shape[0]
    quirks: list[str] = []
    rest = 0
    while f"f_rest_{rest}" in names:
        rest += 1
    flat, pos = _float_view(arr)

    def cols(keys: list[str]) -> np.ndarray:
        """Columns as an (n, k) array: a strided view when they are adjacent in the file."""
        if flat is None:
            return _stack(arr, keys)
        idx = [pos[k] for k in keys]
        if idx == list(range(idx[0], idx[0] + len(idx))):
            return flat[:, idx[0] : idx[0] + len(idx)]
        return flat[:, idx]

    means = cols(["x", "y", "z"])
    scale_names = [f"scale_{i}" for i in range(3) if f"scale_{i}" in names]
    if len(scale_names) == 3:
        scales = cols(scale_names)
    elif len(scale_names) == 2:  # 2DGS surfels: flat along the third axis
        scales = np.full((n, 3), np.log(1e-7), np.float32)
        scales[:, :2] = cols(scale_names)
        quirks.append("2D Gaussian splats (two scales): third scale set to 1e-7")
    else:
        scales = np.full((n, 3), _point_log_scale(means), np.float32)
        quirks.append("no scale_* properties: isotropic scale from point spacing")
    if all(f"rot_{i}" in names for i in range(4)):
        quats = cols([f"rot_{i}" for i in range(4)])
    else:
        quats = np.tile(np.float32([1, 0, 0, 0]), (n, 1))
        if any(f"rot_{i}" in names for i in range(4)):
            quirks.append("incomplete rot_* properties: identity rotations used")
    if "opacity" in names:
        opac = _opacity(src, cols(["opacity"])[:, 0], opacity_mode, quirks)
    else:
        opac = np.full(n, logit(np.float32([POINT_OPACITY]))[0], np.float32)
        quirks.append("no opacity property: opacity 0.9 used")

    degree = 0
    for d in (3, 2, 1):
        if rest >= 3 * (sh_coeffs(d) - 1):
            degree = d
            break
    k = sh_coeffs(degree)
    if rest != 3 * (k - 1):
        quirks.append(
            f"{rest} f_rest properties is not a degree 0-3 layout: read as degree {degree}"
        )
    sh = np.zeros((n, k, 3), np.float32)
    if all(f"f_dc_{i}" in names for i in range(3)):
        sh[:, 0] = cols([f"f_dc_{i}" for i in range(3)])
    else:
        sh[:, 0] = rgb_to_dc(_rgb(arr, names))
    if degree:
        m = k - 1
        rest_arr = cols([f"f_rest_{i}" for i in range(3 * m)])  # (n, 3m) channel-major
        sh[:, 1:] = rest_arr.reshape(n, 3, m).transpose(0, 2, 1)
    for c in comments:
        low = c.lower().strip()
        if low in ("antialiased 1", "splatrendermode: mip"):
            quirks.append("trained with antialiasing (mip) per the header comment")
    return Splats(means, scales, quats, opac, sh, axes=AXES_RDF, format=FORMAT, quirks=quirks)


def _opacity(src: Source, opac: np.ndarray, mode: str, quirks: list[str]) -> np.ndarray:
    """Apply the opacity convention; 'auto' spots opacity written after the sigmoid."""
    if mode == "logit":
        return opac
    if mode == "linear":
        quirks.append("opacity read as linear [0,1] values (opacity='linear')")
        return logit(opac)
    fin = opac[np.isfinite(opac)]
    # Trained logits spread well below 0; all values inside [0,1] over many splats is
    # what HY-World 2.0 writes (sigmoid already applied).
    if fin.size >= 16 and fin.min() >= 0.0 and fin.max() <= 1.0:
        msg = (
            "opacity values all lie in [0,1]: read as opacity after the sigmoid "
            "(HY-World 2.0 style); pass opacity='logit' to keep them as logits"
        )
        warnings.warn(f"{src.name}: {msg}", stacklevel=4)
        quirks.append(f"opacity-after-sigmoid: {msg}")
        return logit(opac)
    return opac


def _rgb(arr: np.ndarray, names: set[str]) -> np.ndarray:
    """Point colours in [0,1] from red/green/blue (integer or float), grey if absent."""
    n = arr.shape[0]
    for keys in (
        ("red", "green", "blue"),
        ("r", "g", "b"),
        ("diffuse_red", "diffuse_green", "diffuse_blue"),
    ):
        if all(k in names for k in keys):
            rgb = _stack(arr, list(keys))
            kind = arr.dtype[keys[0]]
            if kind.kind in "ui":
                rgb /= float(np.iinfo(kind).max)
            return rgb
    return np.full((n, 3), 0.5, np.float32)


def _point_log_scale(means: np.ndarray, sample: int = 2048, seed: int = 0) -> float:
    """log of a splat radius for point clouds: half the mean nearest-neighbour spacing.

    Heuristic (documented because it is approximate): the mean nearest-neighbour
    distance is measured exactly inside a random sample of ``m`` points and scaled
    by sqrt(m/N), the densification law for points on surfaces (scans and SfM
    clouds are surface samples). Exact for N <= ``sample``.
    """
    pts = means[np.isfinite(means).all(axis=1)].astype(np.float64)
    n = len(pts)
    if n < 2:
        return float(np.log(0.01))
    m = min(n, sample)
    if m < n:
        pts = pts[np.random.default_rng(seed).choice(n, m, replace=False)]
    best = np.full(m, np.inf)
    for i in range(0, m, 512):
        d = ((pts[i : i + 512, None, :] - pts[None, :, :]) ** 2).sum(-1)
        idx = np.arange(i, min(i + 512, m))
        d[idx - i, idx] = np.inf
        best[i : i + 512] = d.min(axis=1)
    dist = np.sqrt(best[np.isfinite(best)])
    dist = dist[dist > 0]
    spacing = float(dist.mean()) if dist.size else 0.01
    spacing *= np.sqrt(m / n)
    return float(np.log(max(spacing * 0.5, 1e-7)))


def _points(src: Source, arr: np.ndarray, names: set[str]) -> Splats:
    n = arr.shape[0]
    means = _stack(arr, ["x", "y", "z"])
    scales = np.full((n, 3), _point_log_scale(means), np.float32)
    quats = np.tile(np.float32([1, 0, 0, 0]), (n, 1))
    alpha = np.full(n, POINT_OPACITY, np.float32)
    if "alpha" in names:
        a = _col(arr, "alpha")
        alpha = a / 255.0 if arr.dtype["alpha"].kind in "ui" else a
    sh = rgb_to_dc(_rgb(arr, names))[:, None, :]
    quirks = ["point cloud: isotropic splats, radius half the nearest-neighbour spacing"]
    return Splats(
        means, scales, quats, logit(alpha), sh, axes=AXES_RDF, format=FORMAT_POINTS, quirks=quirks
    )


def property_names(sh_degree: int) -> list[str]:
    """The INRIA property order: x y z nx ny nz f_dc_* f_rest_* opacity scale_* rot_*."""
    rest = 3 * (sh_coeffs(sh_degree) - 1)
    return (
        ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
        + [f"f_rest_{i}" for i in range(rest)]
        + ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    )


def to_bytes(s: Splats) -> bytes:
    """Binary little-endian INRIA 3DGS PLY."""
    n, k = s.count, s.sh.shape[1]
    names = property_names(s.sh_degree)
    header = ["ply", "format binary_little_endian 1.0", "comment written by splatrender"]
    header.append(f"element vertex {n}")
    header += [f"property float {p}" for p in names]
    header.append("end_header")
    body = np.empty((n, len(names)), "<f4")
    body[:, 0:3] = s.means
    body[:, 3:6] = 0
    body[:, 6:9] = s.sh[:, 0]
    r = 3 * (k - 1)
    body[:, 9 : 9 + r] = s.sh[:, 1:].transpose(0, 2, 1).reshape(n, r)
    body[:, 9 + r] = s.opacities
    body[:, 10 + r : 13 + r] = s.scales
    body[:, 13 + r : 17 + r] = s.quats
    return ("\n".join(header) + "\n").encode("ascii") + body.tobytes()


def write(s: Splats, path) -> None:
    with open(path, "wb") as f:
        f.write(to_bytes(s))
