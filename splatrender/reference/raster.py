"""Float64 twins of binning (shaders/bin.wgsl) and the tile rasterizer (raster.wgsl)."""

from __future__ import annotations

import numpy as np

from ..shaders.layout import TILE_SIZE
from .project import Projected, tile_grid

ALPHA_MAX = 0.99
ALPHA_MIN = 1.0 / 255.0
T_MIN = 1e-4


def depth_order(proj: Projected) -> np.ndarray:
    """Visible splat ids sorted front to back (stable: ties keep id order)."""
    ids = np.flatnonzero(proj.visible)
    return ids[np.argsort(proj.depth[ids], kind="stable")]


# Relative slack of the ellipse-tile test (TOUCH_SLACK in shaders/bin.wgsl).
TOUCH_SLACK = 1.0001


def _edge_min(fixed, lo, hi, cf, cc, ct):
    t = np.clip(-cc * fixed / ct, lo, hi)
    return cf * fixed * fixed + 2.0 * cc * fixed * t + ct * t * t


def _reach(proj: Projected, splat: np.ndarray, slack: float) -> np.ndarray:
    """q = d.conic.d where each splat's alpha falls to 1/255, with the slack (tile_touch.wgsl
    ``ellipse``)."""
    return 2.0 * np.log(np.maximum(proj.opacity[splat] * 255.0, 1.0)) * slack + 1e-4


def rect_tiles(proj: Projected, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every tile of each splat's rect, splats in ``order``, each rect row-major:
    (splat, tx, ty)."""
    r = proj.rect[order]
    counts = (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])
    splat = np.repeat(order, counts)
    # Position of each pair inside its splat's rect, row-major over the rect.
    local = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    rw = np.maximum(np.repeat(r[:, 2] - r[:, 0], counts), 1)
    return splat, np.repeat(r[:, 0], counts) + local % rw, np.repeat(r[:, 1], counts) + local // rw


def touches(
    proj: Projected, splat: np.ndarray, tx: np.ndarray, ty: np.ndarray, tile: int, slack: float
) -> np.ndarray:
    """Whether each splat's alpha >= 1/255 ellipse reaches a pixel centre of its tile:
    the least of q = d.conic.d over the box of centres (0 inside, else on an edge)."""
    cx, cy, cz = (proj.conic[splat, k] for k in range(3))
    lo_x = tx * tile + 0.5 - proj.xy[splat, 0]
    lo_y = ty * tile + 0.5 - proj.xy[splat, 1]
    hi_x, hi_y = lo_x + (tile - 1), lo_y + (tile - 1)
    inside = (lo_x <= 0) & (hi_x >= 0) & (lo_y <= 0) & (hi_y >= 0)
    q = np.minimum.reduce(
        [
            _edge_min(lo_x, lo_y, hi_y, cx, cy, cz),
            _edge_min(hi_x, lo_y, hi_y, cx, cy, cz),
            _edge_min(lo_y, lo_x, hi_x, cz, cy, cx),
            _edge_min(hi_y, lo_x, hi_x, cz, cy, cx),
        ]
    )
    return inside | (q <= _reach(proj, splat, slack))


def row_spans(
    proj: Projected, splat: np.ndarray, ty: np.ndarray, tile: int, slack: float
) -> tuple[np.ndarray, np.ndarray]:
    """Twin of ``row_span`` (shaders/tile_touch.wgsl): the tiles [first, end) of tile row
    ``ty`` that each splat's ellipse reaches, from its x-extent over the row's pixel
    centres (unclamped to the rect; empty: end <= first). The same tiles as ``touches``."""
    a, b, c = (proj.conic[splat, k] for k in range(3))
    cx, cy = proj.xy[splat, 0], proj.xy[splat, 1]
    q = _reach(proj, splat, slack)
    det = a * c - b * b
    half_h = np.sqrt(q * a / det)
    right_dy = -b * np.sqrt(q / (c * det))  # the leftmost point is at -right_dy
    lo = ty * tile + 0.5 - cy
    hi = lo + (tile - 1)

    def x_at(dy: np.ndarray, sign: float) -> np.ndarray:
        return (sign * np.sqrt(np.maximum(q * a - det * dy * dy, 0.0)) - b * dy) / a

    xr = x_at(np.clip(right_dy, lo, hi), 1.0)
    xl = x_at(np.clip(-right_dy, lo, hi), -1.0)
    first = np.ceil((xl + cx + 0.5) / tile - 1.0)
    end = np.floor((xr + cx - 0.5) / tile) + 1.0
    miss = (lo > half_h) | (hi < -half_h)
    return np.where(miss, 0.0, first), np.where(miss, 0.0, end)


def bin_tiles(
    proj: Projected,
    order: np.ndarray,
    tiles_x: int,
    tile: int = TILE_SIZE,
    slack: float = TOUCH_SLACK,
) -> tuple[np.ndarray, np.ndarray]:
    """Splat-tile pairs sorted by tile, depth order kept within a tile: (tile, splat).
    Tiles of a splat's rect that its ellipse misses are left out (see ``touches``)."""
    splat, tx, ty = rect_tiles(proj, order)
    keep = touches(proj, splat, tx, ty, tile, slack)
    tile_id = (ty * tiles_x + tx)[keep]
    splat = splat[keep]
    o = np.argsort(tile_id, kind="stable")
    return tile_id[o], splat[o]


def rasterize(
    proj: Projected,
    width: int,
    height: int,
    background: tuple[float, float, float] = (0.0, 0.0, 0.0),
    tile: int = TILE_SIZE,
    cut_scale: float = 1.0,
) -> np.ndarray:
    """(H,W,3) float64 image; front to back per tile with early stop. ``tile`` must be
    the tile size ``proj`` was binned with. ``cut_scale`` moves the alpha and
    transmittance cuts (tests use it to tell a float32 rounding at a cut from a bug)."""
    tiles_x, tiles_y = tile_grid(width, height, tile)
    order = depth_order(proj)
    pair_tile, splat = bin_tiles(proj, order, tiles_x, tile)
    bounds = np.searchsorted(pair_tile, np.arange(tiles_x * tiles_y + 1))
    img = np.empty((height, width, 3))
    bg = np.asarray(background, np.float64)
    for t in range(tiles_x * tiles_y):
        ty, tx = divmod(t, tiles_x)
        x0, y0 = tx * tile, ty * tile
        x1, y1 = min(x0 + tile, width), min(y0 + tile, height)
        px, py = np.meshgrid(np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5)
        px, py = px.ravel(), py.ravel()
        ids = splat[bounds[t] : bounds[t + 1]]
        color, trans = composite(proj, ids, px, py, cut_scale)
        img[y0:y1, x0:x1] = (color + trans[:, None] * bg).reshape(y1 - y0, x1 - x0, 3)
    return img


def composite(
    proj: Projected, ids: np.ndarray, px: np.ndarray, py: np.ndarray, cut_scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Blend splats ``ids`` (front to back) at pixel centres; returns (colour, T)."""
    n_px = px.shape[0]
    if len(ids) == 0:
        return np.zeros((n_px, 3)), np.ones(n_px)
    dx = proj.xy[ids, 0][:, None] - px[None, :]
    dy = proj.xy[ids, 1][:, None] - py[None, :]
    a, b, c = (proj.conic[ids, k][:, None] for k in range(3))
    sigma = 0.5 * (a * dx * dx + c * dy * dy) + b * dx * dy
    alpha = np.minimum(ALPHA_MAX, proj.opacity[ids][:, None] * np.exp(-sigma))
    alpha = np.where((sigma >= 0) & (alpha >= ALPHA_MIN * cut_scale), alpha, 0.0)
    t_after = np.cumprod(1.0 - alpha, axis=0)
    # A pixel stops at the first splat that would take T below T_MIN; that splat
    # and all behind it are left out.
    stop = t_after < T_MIN * cut_scale
    keep = np.cumsum(stop, axis=0) == 0
    t_before = np.vstack([np.ones((1, n_px)), t_after[:-1]])
    w = np.where(keep, alpha * t_before, 0.0)
    color = w.T @ proj.color[ids]
    trans = np.where(
        keep.all(axis=0), t_after[-1], t_before[np.argmax(stop, axis=0), np.arange(n_px)]
    )
    return color, trans


def evaluations(
    proj: Projected,
    width: int,
    height: int,
    tile: int = TILE_SIZE,
    thread_rows: int | None = None,
    two_phase: tuple[int, int] | None = None,
) -> dict[str, int]:
    """Splat-pixel evaluations of rasterizing ``proj`` (the raster shader's ``STATS``
    counts, ``render.raster.RasterStats``): ``listed`` = pairs x tile pixels;
    ``until_stop`` = per image pixel, its tile's splats up to and including the one that
    stopped it (all of them if none did); ``blended`` = those that changed the pixel.
    With ``thread_rows`` (pixels per raster thread, one column of the tile: row r of
    thread y is y + r * tile / thread_rows) also what the shader's threads run:
    ``threads`` = per thread, its rows times its splats until all its pixels stopped;
    ``lockstep`` = per tile, the busiest thread's count times the threads.
    ``two_phase`` = (chunk, lanes): the counts of ``main_subgroup`` instead, whose
    subgroups (``lanes`` consecutive threads) take the list ``chunk`` splats at a time
    and, once one row group (rows 0-3 or 4-7 of each thread) is done in every lane, run
    only the other."""
    tiles_x, tiles_y = tile_grid(width, height, tile)
    pair_tile, splat = bin_tiles(proj, depth_order(proj), tiles_x, tile)
    bounds = np.searchsorted(pair_tile, np.arange(tiles_x * tiles_y + 1))
    out = {"listed": len(splat) * tile * tile, "until_stop": 0, "blended": 0}
    if thread_rows:
        out |= {"threads": 0, "lockstep": 0}
    for t in range(tiles_x * tiles_y):
        ids = splat[bounds[t] : bounds[t + 1]]
        if len(ids) == 0:
            continue
        ty, tx = divmod(t, tiles_x)
        x0, y0 = tx * tile, ty * tile
        w, h = min(tile, width - x0), min(tile, height - y0)
        px, py = np.meshgrid(np.arange(x0, x0 + w) + 0.5, np.arange(y0, y0 + h) + 0.5)
        dx = proj.xy[ids, 0][:, None] - px.ravel()[None, :]
        dy = proj.xy[ids, 1][:, None] - py.ravel()[None, :]
        a, b, c = (proj.conic[ids, k][:, None] for k in range(3))
        sigma = 0.5 * (a * dx * dx + c * dy * dy) + b * dx * dy
        alpha = np.minimum(ALPHA_MAX, proj.opacity[ids][:, None] * np.exp(-sigma))
        alpha = np.where((sigma >= 0) & (alpha >= ALPHA_MIN), alpha, 0.0)
        stop = np.cumprod(1.0 - alpha, axis=0) < T_MIN
        stopped = stop.any(axis=0)
        stop_at = np.where(stopped, np.argmax(stop, axis=0) + 1, len(ids))  # (h*w,)
        out["until_stop"] += int(stop_at.sum())
        keep = np.cumsum(stop, axis=0) == 0
        out["blended"] += int((keep & (alpha > 0)).sum())
        if thread_rows:
            work = _thread_work(
                stop_at.reshape(h, w), stopped.reshape(h, w), len(ids), tile, thread_rows, two_phase
            )  # (threads_y, tile)
            out["threads"] += int(work.sum())
            out["lockstep"] += int(work.max()) * tile * (tile // thread_rows)
    return out


def _thread_work(
    stop_at: np.ndarray,
    stopped: np.ndarray,
    n: int,
    tile: int,
    thread_rows: int,
    two_phase: tuple[int, int] | None,
) -> np.ndarray:
    """Rows the raster threads of one tile evaluate while they have live pixels, per
    thread (threads_y, tile). ``stop_at``/``stopped``: (h, w) of the tile's image pixels;
    ``n``: its list length. Thread (x, y) holds column x, rows y + k * threads_y."""
    threads_y = tile // thread_rows
    h, w = stop_at.shape
    full = np.zeros((tile, tile), np.int64)  # pixels past the image: done from the start
    full[:h, :w] = stop_at
    inf = n + 1
    done_at = np.zeros((tile, tile), np.int64)  # when a pixel is done; inf: never
    done_at[:h, :w] = np.where(stopped, stop_at, inf)
    rows = np.arange(thread_rows)[None, :] * threads_y + np.arange(threads_y)[:, None]
    per = full[rows]  # (threads_y, thread_rows, tile): each thread's pixels
    per_done = done_at[rows]
    end = per.max(axis=1)  # (threads_y, tile): splats a thread runs while live
    if two_phase is None:
        return end * thread_rows
    chunk, lanes = two_phase
    groups = [slice(0, 4), slice(4, thread_rows)]
    end_g = [per[:, g].max(axis=1, initial=0) for g in groups]
    done_g = [per_done[:, g].max(axis=1, initial=0) for g in groups]
    work = np.zeros((threads_y, tile), np.int64)
    lid = np.arange(threads_y * tile).reshape(threads_y, tile)
    for sub in range(-(-threads_y * tile // lanes)):
        m = (lid // lanes) == sub
        a_done, b_done = done_g[0][m].max(), done_g[1][m].max()
        # phase 1 breaks at the first chunk start by which one group is done everywhere
        first = min(a_done, b_done)
        p1 = n if first > n else min(n, -(-first // chunk) * chunk)
        g = 1 if thread_rows > 4 and a_done <= p1 else 0  # the group phase 2 runs
        work[m] = thread_rows * np.minimum(p1, end[m]) + 4 * np.maximum(0, end_g[g][m] - p1)
    return work
