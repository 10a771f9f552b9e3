"""Helpers for the browser tests (page log, Pyodide boot, running Python in the page)."""

from __future__ import annotations

BOOT_TIMEOUT_MS = 180_000  # Pyodide boot + wheel install on 2 shared cores


class PageLog:
    """Console messages and page errors, to assert that the page stayed clean."""

    def __init__(self, page) -> None:
        self.messages: list[tuple[str, str]] = []
        page.on("console", lambda m: self.messages.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.messages.append(("pageerror", str(e))))

    def errors(self) -> list[str]:
        return [text for kind, text in self.messages if kind in ("error", "pageerror")]


def open_page(browser, url: str, **context_args):
    ctx = browser.new_context(**context_args)
    page = ctx.new_page()
    page.set_default_timeout(BOOT_TIMEOUT_MS)
    log = PageLog(page)
    page.goto(url)
    return ctx, page, log


def wait_ready(page) -> None:
    """Wait until the page's <splat-viewer id=viewer> has booted Python and the GPU."""
    page.evaluate("async () => { await document.getElementById('viewer').ready; }")


def drawn_info(page) -> dict:
    """Wait until the ``#viewer`` of ``page`` (a page or a frame) has loaded its ``src``
    and drawn it; returns ``viewer.info``. Raises with the viewer's error message."""
    return page.evaluate(
        """async () => {
            const v = document.getElementById('viewer');
            await v.ready;  // rejects when the viewer cannot boot
            if (!v.info) await new Promise((res, rej) => {
                v.addEventListener('load', res);
                v.addEventListener('error', (e) => rej(new Error(e.detail.message)));
            });
            await v.drawn();
            return {...v.info, canvas: [v.canvas.width, v.canvas.height]};
        }"""
    )


def load_scene(page, url: str) -> dict:
    """``viewer.load(url)``: the scene info, or ``{"error": message}``; waits for the frame."""
    return page.evaluate(
        """async (url) => {
            const v = document.getElementById('viewer');
            try { return await v.load(url); } catch (e) { return {error: e.message}; }
        }""",
        url,
    )


def set_camera(page, eye, target, fov=50.0) -> dict:
    """Set the orbit camera, wait for the frame; returns ``viewer.getCamera()``."""
    return page.evaluate(
        """async ([eye, target, fov]) => {
            const v = document.getElementById('viewer');
            v.setCamera({eye, target, fov});
            await v.drawn();
            return v.getCamera();
        }""",
        [list(eye), list(target), fov],
    )


def screenshot_rgb(page, selector: str = "#viewer"):
    """The element as an (H, W, 3) uint8 array (what the user sees)."""
    import io

    import numpy as np
    from PIL import Image

    png = page.locator(selector).screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def psnr(a, b) -> float:
    import numpy as np

    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def boot_python(page) -> None:
    """Boot Pyodide in the page (shared by every viewer) and keep it at ``window.py``."""
    page.evaluate(
        """async () => {
            const m = await import('/splat-viewer.js');
            window.py = await m.bootPython();
        }"""
    )


def run_python(page, code: str, timeout_ms: int = BOOT_TIMEOUT_MS):
    """Run async Python in the page; returns its last expression converted to JSON types."""
    page.set_default_timeout(timeout_ms)
    return page.evaluate(
        """async (code) => {
            const r = await window.py.runPythonAsync(code);
            return (r && r.toJs) ? r.toJs({dict_converter: Object.fromEntries}) : r;
        }""",
        code,
    )


def run_native(make_coro):
    """Run ``make_coro()`` on a fresh event loop in a worker thread.

    Playwright's sync API keeps an event loop running on the test thread, so the
    session ``run`` fixture cannot be used beside it.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make_coro())).result()


def synthetic_splat(n: int = 2000, seed: int = 1) -> bytes:
    """A small antimatter15 ``.splat`` scene: coloured blobs on a lumpy shell, cheap to draw.

    Colour follows position, so any camera move changes the picture.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    pos = d * (1.0 + 0.3 * np.sin(4 * d[:, :1]))
    rec = np.zeros(n, [("pos", "<f4", 3), ("scale", "<f4", 3), ("rgba", "u1", 4), ("rot", "u1", 4)])
    rec["pos"] = pos
    rec["scale"] = rng.uniform(0.02, 0.06, size=(n, 3))
    rec["rgba"][:, :3] = np.clip((d * 0.5 + 0.5) * 255, 0, 255)
    rec["rgba"][:, 3] = 230
    rec["rot"] = (128, 128, 128, 128)
    rec["rot"][:, 0] = 255
    return rec.tobytes()
