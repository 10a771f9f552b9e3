"""The window blit (shaders/blit.wgsl via NativePresenter), drawn into an offscreen texture."""

from __future__ import annotations

import struct

import pytest

wgpu = pytest.importorskip("wgpu")

from splatrender.gpu import COPY_DST, STORAGE  # noqa: E402
from splatrender.gpu.native_present import NativePresenter, Overlay  # noqa: E402

pytestmark = pytest.mark.gpu


def pack(r, g, b, a=255) -> int:
    return r | g << 8 | b << 16 | a << 24


def draw(device, presenter, image, w, h, tw, th, overlays=()):
    tex = device.handle.create_texture(
        size=(tw, th, 1),
        format=presenter.format,
        usage=wgpu.TextureUsage.RENDER_ATTACHMENT | wgpu.TextureUsage.COPY_SRC,
    )
    enc = device.encoder("blit-test")
    presenter.draw_to(enc, tex, image, w, h, list(overlays), (0.0, 0.0, 1.0))
    device.submit(enc)
    data = device.handle.queue.read_texture(
        {"texture": tex}, {"bytes_per_row": tw * 4, "rows_per_image": th}, (tw, th, 1)
    )
    return bytes(data)


def buffer(device, words):
    buf = device.create_buffer(4 * len(words), [STORAGE, COPY_DST], "img")
    device.write_buffer(buf, struct.pack(f"<{len(words)}I", *words))
    return buf


def px(data, tw, x, y):
    return tuple(data[4 * (y * tw + x) : 4 * (y * tw + x) + 4])


def test_blit_is_pixel_exact_top_row_first(device):
    presenter = NativePresenter(None, device)
    w, h = 37, 23  # odd sizes: no alignment luck
    words = [pack(x * 6, y * 11, (x + y) % 256) for y in range(h) for x in range(w)]
    data = draw(device, presenter, buffer(device, words), w, h, w, h)
    for x, y in [(0, 0), (36, 0), (0, 22), (36, 22), (17, 9)]:
        assert px(data, w, x, y) == (x * 6, y * 11, (x + y) % 256, 255)


def test_overlay_blends_over_a_sub_rectangle(device):
    presenter = NativePresenter(None, device)
    w, h = 32, 24
    image = buffer(device, [pack(200, 0, 0)] * (w * h))
    ov = buffer(device, [pack(0, 255, 0, 255)] * 8 * 4 + [pack(0, 0, 0, 0)] * 8 * 4)  # 8x8
    data = draw(device, presenter, image, w, h, w, h, [Overlay(ov, 8, 8)])
    assert px(data, w, 1, 1) == (0, 255, 0, 255)  # opaque overlay rows
    assert px(data, w, 7, 3) == (0, 255, 0, 255)
    assert px(data, w, 1, 5)[:3] == (200, 0, 0)  # transparent overlay rows
    assert px(data, w, 9, 1)[:3] == (200, 0, 0)  # right of it
    # An overlay larger than the target is skipped, not a validation error.
    draw(device, presenter, image, w, h, 6, 6, [Overlay(ov, 8, 8)])


def test_image_scales_to_the_target(device):
    presenter = NativePresenter(None, device)
    image = buffer(device, [pack(10, 0, 0), pack(20, 0, 0), pack(30, 0, 0), pack(40, 0, 0)])
    data = draw(device, presenter, image, 2, 2, 4, 4)  # 2x2 shown at 4x4: nearest pixel
    assert [px(data, 4, x, y)[0] for y in (0, 3) for x in (0, 1, 2, 3)] == [
        10,
        10,
        20,
        20,
        30,
        30,
        40,
        40,
    ]


def test_no_image_clears_to_the_background(device):
    presenter = NativePresenter(None, device)
    data = draw(device, presenter, None, 0, 0, 8, 8)
    assert px(data, 8, 3, 3) == (0, 0, 255, 255)
