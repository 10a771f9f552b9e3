"""Heads-up display: frame statistics and status text, drawn into a small rgba8 bitmap.

The text is rasterised on the CPU with Pillow's built-in font (only when it changes)
and uploaded to a small storage buffer that the presenter lays over the frame. The
HUD never asks for a draw by itself: it shows the numbers of the frames the user's
input caused, so an idle window stays idle.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

WINDOW_S = 1.0  # statistics cover the last second
TEXT = (235, 235, 235, 255)
WARN = (255, 110, 90, 255)
BACKGROUND = (0, 0, 0, 150)


class FrameStats:
    """Frame times of the last second: fps and the median frame time."""

    def __init__(self, clock=time.perf_counter) -> None:
        self._clock = clock
        self._frames: deque[tuple[float, float]] = deque()  # (end time, frame ms)

    def add(self, ms: float, now: float | None = None) -> None:
        now = self._clock() if now is None else now
        self._frames.append((now, ms))
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self._frames and self._frames[0][0] < now - WINDOW_S:
            self._frames.popleft()

    def fps(self, now: float | None = None) -> float:
        self._trim(self._clock() if now is None else now)
        return float(len(self._frames)) / WINDOW_S

    def median_ms(self, now: float | None = None) -> float | None:
        self._trim(self._clock() if now is None else now)
        if not self._frames:
            return None
        return statistics.median(ms for _, ms in self._frames)


@dataclass
class HudInfo:
    """What the HUD shows; the app fills it before each draw."""

    fps: float = 0.0
    frame_ms: float | None = None
    drawn: int | None = None
    total: int = 0
    width: int = 0
    height: int = 0
    adapter: str = ""
    mode: str = ""
    up: str = ""  # the up the scene is shown with and how it was chosen
    status: str = ""  # loading progress, hints
    error: str = ""  # last load error (shown even with the HUD hidden)


def _count(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"


def hud_lines(info: HudInfo, visible: bool) -> list[tuple[str, tuple[int, int, int, int]]]:
    """The HUD's lines and their colours; status and errors show even when hidden."""
    lines = []
    if visible:
        ms = "-" if info.frame_ms is None else f"{info.frame_ms:.1f} ms"
        lines.append((f"{info.fps:.0f} fps   {ms} (median 1 s)", TEXT))
        lines.append((f"splats {_count(info.drawn)} / {_count(info.total)}", TEXT))
        mode = f"   {info.mode}" if info.mode else ""
        lines.append((f"{info.width} x {info.height}{mode}", TEXT))
        if info.up:
            lines.append((f"up {info.up}   (U flips)", TEXT))
        if info.adapter:
            lines.append((info.adapter, TEXT))
    if info.status:
        lines.append((info.status, TEXT))
    if info.error:
        for part in _wrap(f"error: {info.error}", 90):
            lines.append((part, WARN))
    return lines


def _wrap(text: str, width: int) -> list[str]:
    out = []
    for para in text.splitlines() or [""]:
        while len(para) > width:
            cut = para.rfind(" ", 0, width)
            cut = cut if cut > width // 2 else width
            out.append(para[:cut])
            para = para[cut:].lstrip()
        out.append(para)
    return out[:6]


@lru_cache(maxsize=8)
def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def rasterize(
    lines: list[tuple[str, tuple[int, int, int, int]]], scale: float = 1.0
) -> tuple[bytes, int, int]:
    """Text lines -> (rgba8 bytes, width, height) on a translucent panel."""
    from PIL import Image, ImageDraw

    if not lines:
        return b"", 0, 0
    size = max(8, round(13 * scale))
    font = _font(size)
    pad, gap = round(6 * scale), round(3 * scale)
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    widths = [probe.textbbox((0, 0), text, font=font)[2] for text, _ in lines]
    line_h = size + gap
    w = max(widths) + 2 * pad
    h = line_h * len(lines) + 2 * pad - gap
    img = Image.new("RGBA", (w, h), BACKGROUND)
    draw = ImageDraw.Draw(img)
    for i, (text, colour) in enumerate(lines):
        draw.text((pad, pad + i * line_h), text, font=font, fill=colour)
    return img.tobytes(), w, h


class Hud:
    """Turns ``HudInfo`` into an overlay bitmap, re-rasterising only when the text changes."""

    def __init__(self) -> None:
        self.visible = True
        self._key: tuple | None = None
        self._bitmap: tuple[bytes, int, int] = (b"", 0, 0)

    def toggle(self) -> None:
        self.visible = not self.visible

    def bitmap(self, info: HudInfo, scale: float = 1.0) -> tuple[bytes, int, int]:
        lines = hud_lines(info, self.visible)
        key = (tuple(lines), round(scale, 2))
        if key != self._key:
            self._key = key
            self._bitmap = rasterize(lines, scale)
        return self._bitmap


def crop(rgba: bytes, w: int, h: int, max_w: int, max_h: int) -> tuple[bytes, int, int]:
    """The top-left ``max_w`` x ``max_h`` of an rgba8 image (so it fits the window)."""
    cw, ch = min(w, max_w), min(h, max_h)
    if (cw, ch) == (w, h) or cw <= 0 or ch <= 0:
        return (rgba, w, h) if (cw, ch) == (w, h) else (b"", 0, 0)
    rows = [rgba[y * w * 4 : y * w * 4 + cw * 4] for y in range(ch)]
    return b"".join(rows), cw, ch
