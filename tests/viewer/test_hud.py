"""HUD text and frame statistics (CPU only)."""

from __future__ import annotations

import pytest

from splatrender.viewer.hud import FrameStats, Hud, HudInfo, crop, hud_lines


def test_frame_stats_cover_the_last_second():
    s = FrameStats(clock=lambda: 0.0)
    assert s.median_ms(now=0.0) is None and s.fps(now=0.0) == 0
    for i, ms in enumerate([10, 30, 20, 1000]):
        s.add(ms, now=0.1 * i)
    assert s.fps(now=0.35) == 4 and s.median_ms(now=0.35) == 25
    assert s.fps(now=1.15) == 2  # the first two frames left the window
    assert s.median_ms(now=1.15) == 510


def test_lines_show_stats_and_hide_with_h_but_errors_stay():
    info = HudInfo(fps=59.6, frame_ms=12.34, drawn=1234, total=9080, width=320, height=240,
                   adapter="llvmpipe", mode="classic", up="-y (guess)",
                   error="x.ply: truncated")  # fmt: skip
    text = "\n".join(t for t, _ in hud_lines(info, True))
    for want in (
        "60 fps",
        "12.3 ms",
        "1,234 / 9,080",
        "320 x 240",
        "llvmpipe",
        "up -y (guess)",
        "truncated",
    ):
        assert want in text
    hidden = hud_lines(info, False)
    assert len(hidden) == 1 and "truncated" in hidden[0][0]


def test_bitmap_is_cached_and_scales():
    hud = Hud()
    info = HudInfo(fps=1, total=5)
    a = hud.bitmap(info)
    assert hud.bitmap(info) is a  # same text: no re-rasterising
    rgba, w, h = a
    assert len(rgba) == 4 * w * h and w > 50 and h > 20
    _, w2, h2 = hud.bitmap(info, scale=2.0)
    assert w2 > 1.5 * w and h2 > 1.5 * h
    hud.toggle()
    assert hud.bitmap(HudInfo()) == (b"", 0, 0)


@pytest.mark.parametrize("mw, mh", [(3, 2), (10, 10), (0, 5)])
def test_crop(mw, mh):
    w, h = 4, 3
    rgba = bytes(range(4 * w * h))
    out, cw, ch = crop(rgba, w, h, mw, mh)
    assert (cw, ch) == ((min(w, mw), min(h, mh)) if mw > 0 else (0, 0))
    if cw:
        assert out[: 4 * cw] == rgba[: 4 * cw] and len(out) == 4 * cw * ch
