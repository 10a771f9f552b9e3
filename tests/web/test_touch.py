"""A 390x844 phone viewport with touch emulation: one finger orbits, a pinch dollies,
two fingers pan (checked on the orbit state and on screenshot differences)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.web.webtools import open_page, screenshot_rgb, synthetic_splat

pytestmark = [pytest.mark.browser, pytest.mark.gpu]

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def phone(browser, server, scene_root):
    # A small synthetic scene and max-pixel-ratio 0.25 (a 98x211 render, upscaled) keep
    # SwiftShader's frames short.
    (scene_root / "blobs.splat").write_bytes(synthetic_splat())
    url = f"{server.url}index.html?ui=0&max-pixel-ratio=0.25&src=/scenes/local/blobs.splat"
    ctx, page, log = open_page(
        browser, url, viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=1
    )
    page.evaluate(
        """async () => {
            const v = document.getElementById('viewer');
            if (!v.info) await new Promise((res, rej) => {
                v.addEventListener('load', res);
                v.addEventListener('error', (e) => rej(new Error(e.detail.message)));
            });
            await v.drawn();
        }"""
    )
    cdp = ctx.new_cdp_session(page)
    yield page, cdp
    assert not log.errors(), log.errors()
    ctx.close()


def touch(cdp, kind: str, points: list[tuple[float, float]]) -> None:
    pts = [{"x": x, "y": y, "id": i, "radiusX": 2, "radiusY": 2} for i, (x, y) in enumerate(points)]
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": pts})


def gesture(cdp, start: list[tuple[float, float]], end: list[tuple[float, float]], steps=8):
    touch(cdp, "touchStart", start)
    for s in range(1, steps + 1):
        t = s / steps
        pts = [
            (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
            for a, b in zip(start, end, strict=True)
        ]
        touch(cdp, "touchMove", pts)
    touch(cdp, "touchEnd", [])


def state(page) -> dict:
    return page.evaluate(
        """async () => {
            const v = document.getElementById('viewer');
            await v.drawn();
            const o = v.orbit;
            return {yaw: o.yaw, pitch: o.pitch, dist: o.dist, target: o.target.slice(),
                    canvas: [v.canvas.width, v.canvas.height]};
        }"""
    )


def changed(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def test_one_finger_drag_orbits(phone):
    page, cdp = phone
    s0, img0 = state(page), screenshot_rgb(page)
    assert img0.shape[:2] == (844, 390) and s0["canvas"] == [98, 211]
    assert img0.std() > 5, "nothing rendered"
    gesture(cdp, [(150, 420)], [(260, 420)])
    s1, img1 = state(page), screenshot_rgb(page)
    assert abs(s1["yaw"] - s0["yaw"]) > 0.3
    assert s1["dist"] == pytest.approx(s0["dist"])
    assert s1["target"] == pytest.approx(s0["target"])
    assert changed(img0, img1) > 1.0


def test_pinch_dollies(phone):
    page, cdp = phone
    s0, img0 = state(page), screenshot_rgb(page)
    gesture(cdp, [(195, 380), (195, 460)], [(195, 260), (195, 580)])  # fingers apart
    s1, img1 = state(page), screenshot_rgb(page)
    assert s1["dist"] < 0.5 * s0["dist"]  # closer: 80 px apart -> 320 px apart
    assert s1["yaw"] == pytest.approx(s0["yaw"])
    assert changed(img0, img1) > 1.0
    gesture(cdp, [(195, 260), (195, 580)], [(195, 380), (195, 460)])  # and back out
    s2 = state(page)
    assert s2["dist"] == pytest.approx(s0["dist"], rel=0.05)


def test_two_finger_drag_pans(phone):
    page, cdp = phone
    s0, img0 = state(page), screenshot_rgb(page)
    gesture(cdp, [(150, 400), (240, 400)], [(150, 520), (240, 520)])  # both fingers down
    s1, img1 = state(page), screenshot_rgb(page)
    moved = np.linalg.norm(np.subtract(s1["target"], s0["target"]))
    assert moved > 0.05 * s0["dist"]
    assert s1["dist"] == pytest.approx(s0["dist"], rel=1e-3)
    assert s1["yaw"] == pytest.approx(s0["yaw"])
    assert changed(img0, img1) > 1.0
