"""Presenting on a CPU adapter: a frame whose rows are 256-byte aligned is copied onto
the canvas (``copyBufferToTexture``) instead of drawn by the blit; what the user sees is
the same image either way."""

from __future__ import annotations

import numpy as np
import pytest

from tests.web.webtools import drawn_info, open_page, screenshot_rgb

pytestmark = [pytest.mark.browser, pytest.mark.gpu]

PLY = "kacytran1122_try__point_cloud_iter7000.ply"


def test_copy_present_shows_what_the_blit_shows(browser, server):
    # 192 px: rows of 768 bytes, a multiple of 256 (the copy's row alignment)
    url = f"{server.url}index.html?ui=0&max-pixel-ratio=1&src=/scenes/shared/{PLY}"
    ctx, page, log = open_page(browser, url, viewport={"width": 192, "height": 108})
    try:
        drawn_info(page)
        presenter = "document.getElementById('viewer').app.presenter"
        assert page.evaluate(f"() => {presenter}.copy_ok"), "SwiftShader is a CPU adapter"
        assert page.evaluate(f"() => {presenter}.format") == "rgba8unorm"
        redraw = """async () => {
            const v = document.getElementById('viewer'); v._redraw(); await v.drawn(); }"""
        copied = screenshot_rgb(page)
        assert copied.shape[:2] == (108, 192) and copied.std() > 5, "blank frame"
        page.evaluate(f"() => {{ {presenter}.copy_ok = false; }}")
        page.evaluate(redraw)
        blitted = screenshot_rgb(page)
        assert np.array_equal(copied, blitted)
        assert not log.errors(), log.errors()
    finally:
        ctx.close()
