"""WebXR in the page, against a mock XR runtime (Chromium here has no XR device).

The mock (``MOCK``, an init script) stands in for ``navigator.xr``: sessions, reference
spaces, an ``XRWebGLLayer`` whose framebuffer is the GL canvas's default one (two
160x120 viewports side by side) and an ``XRFrame`` whose viewer pose has two eyes
6.4 cm apart with asymmetric, mirrored frusta. Each eye the page draws into the layer
is read back and compared with the native render (wgpu-py on lavapipe) of the same
eye camera, built here with numpy from the same matrices. Nothing here has run on a
headset.
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest

from tests.web.webtools import drawn_info, open_page, psnr, run_native

SCENE = "guitar.compressed.ply"
W, H = 160, 120  # one eye's viewport
IPD = 0.064
HEAD = (0.0, 1.6, 0.0)  # metres above the local-floor origin
YAW_DEG = 8.0  # the head turned a little to the left


def _rot_y(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _frustum(left: float, right: float, down: float, up: float, near=0.1, far=1000.0):
    """An OpenGL projection from the tangents of the half-angles (row-major 4x4)."""
    lf, r, b, t = -left * near, right * near, -down * near, up * near
    return np.array(
        [
            [2 * near / (r - lf), 0, (r + lf) / (r - lf), 0],
            [0, 2 * near / (t - b), (t + b) / (t - b), 0],
            [0, 0, -(far + near) / (far - near), -2 * far * near / (far - near)],
            [0, 0, -1, 0],
        ]
    )


def _eyes() -> list[dict]:
    """Two eyes: pose (eye -> local-floor) and projection, row-major 4x4 numpy."""
    up, down = math.tan(math.radians(40)), math.tan(math.radians(45))
    outer = math.tan(math.radians(55))
    inner = (up + down) * W / H - outer  # square pixels
    rot = _rot_y(YAW_DEG)
    eyes = []
    for name, side, proj in (
        ("left", -1, _frustum(outer, inner, down, up)),
        ("right", 1, _frustum(inner, outer, down, up)),
    ):
        pose = np.eye(4)
        pose[:3, :3] = rot
        pose[:3, 3] = np.array(HEAD) + rot @ np.array([side * IPD / 2, 0, 0])
        eyes.append({"eye": name, "pose": pose, "projection": proj})
    return eyes


def _col(m: np.ndarray) -> list[float]:
    return [float(v) for v in m.T.reshape(-1)]  # column-major, as XR gives matrices


MOCK = """
(() => {
  const EYES = %(eyes)s, W = %(w)d, H = %(h)d;
  const inv = (m) => {  // a rigid column-major 4x4
    const r = [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]];
    const t = [m[12], m[13], m[14]];
    const out = new Float32Array(16);
    for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[c * 4 + k] = r[k * 3 + c];
    for (let k = 0; k < 3; k++) {
      out[12 + k] = -(r[k * 3] * t[0] + r[k * 3 + 1] * t[1] + r[k * 3 + 2] * t[2]);
    }
    out[15] = 1;
    return out;
  };
  const mock = window.__xrMock = {
    absent: false, supported: {"immersive-vr": true, "immersive-ar": false},
    spaces: ["local-floor", "local", "viewer"], requests: [], spaceRequests: [],
    session: null, ticks: 0,
    tick() {  // one XR animation frame: true if the page asked for one
      const s = mock.session, cb = s && s._cb;
      if (!cb) return false;
      s._cb = null;
      mock.ticks++;
      cb(performance.now(), new Frame(s));
      return true;
    },
  };
  class Space { constructor(type) { this.type = type; } }
  class Session extends EventTarget {
    constructor(mode) {
      super();
      this.mode = mode; this.renderState = {baseLayer: null}; this._cb = null; this.ended = false;
      this.environmentBlendMode = mode === "immersive-ar" ? "alpha-blend" : "opaque";
    }
    async requestReferenceSpace(type) {
      mock.spaceRequests.push(type);
      if (!mock.spaces.includes(type)) throw new DOMException(type, "NotSupportedError");
      return new Space(type);
    }
    updateRenderState(state) { Object.assign(this.renderState, state); }
    requestAnimationFrame(cb) { this._cb = cb; return 1; }
    cancelAnimationFrame() { this._cb = null; }
    async end() {
      if (this.ended) return;
      this.ended = true; this._cb = null;
      this.dispatchEvent(new Event("end"));
    }
  }
  class Frame {
    constructor(session) { this.session = session; }
    getViewerPose(space) {
      if (!(space instanceof Space)) throw new TypeError("not a reference space");
      const views = EYES.map((e) => ({
        eye: e.eye,
        projectionMatrix: new Float32Array(e.projection),
        transform: {matrix: new Float32Array(e.pose), inverse: {matrix: inv(e.pose)}},
      }));
      return {views, transform: views[0].transform};
    }
  }
  window.XRWebGLLayer = class {
    constructor(session, gl) {
      if (!(session instanceof Session)) throw new TypeError("not a session");
      gl.canvas.width = 2 * W; gl.canvas.height = H;
      this.framebuffer = null;  // the GL canvas's default framebuffer
      this.framebufferWidth = 2 * W; this.framebufferHeight = H;
      mock.gl = gl;
    }
    getViewport(view) { return {x: view.eye === "left" ? 0 : W, y: 0, width: W, height: H}; }
  };
  const xr = {
    async isSessionSupported(mode) { return Boolean(mock.supported[mode]); },
    async requestSession(mode, options) {
      mock.requests.push({mode, options});
      if (!mock.supported[mode]) throw new DOMException(mode, "NotSupportedError");
      return (mock.session = new Session(mode));
    },
  };
  Object.defineProperty(Navigator.prototype, "xr", {
    get: () => (mock.absent ? undefined : xr), configurable: true,
  });
})();
"""


@pytest.fixture(scope="module")
def xr_page(browser, server):
    """A full-page viewer (the guitar) with the mock XR runtime installed."""
    eyes = [
        {"eye": e["eye"], "pose": _col(e["pose"]), "projection": _col(e["projection"])}
        for e in _eyes()
    ]
    ctx, page, log = open_page(browser, "about:blank", viewport={"width": 200, "height": 150})
    page.add_init_script(MOCK % {"eyes": json.dumps(eyes), "w": W, "h": H})
    page.goto(f"{server.url}index.html?ui=0&max-pixel-ratio=1&src=/scenes/shared/{SCENE}")
    info = drawn_info(page)
    yield page, log, info
    ctx.close()


BUTTONS = """async ([attr, absent, supported]) => {
    const v = document.getElementById('viewer');
    Object.assign(window.__xrMock, {absent, supported});
    v.setAttribute('xr', attr);
    await v._xr.refreshButtons();
    const shown = (k) => !v.shadowRoot.querySelector('.xr-' + k).hidden;
    return {vr: shown('vr'), ar: shown('ar'), supported: await v.xrSupported()};
}"""


@pytest.mark.browser
@pytest.mark.gpu
def test_buttons_only_when_supported(xr_page):
    page, log, _ = xr_page
    vr_only = {"immersive-vr": True, "immersive-ar": False}
    both = {"immersive-vr": True, "immersive-ar": True}
    r = page.evaluate(BUTTONS, ["auto", False, vr_only])
    assert r == {"vr": True, "ar": False, "supported": {"vr": True, "ar": False}}
    assert page.evaluate(BUTTONS, ["auto", False, both])["ar"] is True
    assert page.evaluate(BUTTONS, ["vr", False, both])["ar"] is False
    r = page.evaluate(BUTTONS, ["auto", True, both])  # no navigator.xr
    assert r == {"vr": False, "ar": False, "supported": {"vr": False, "ar": False}}
    r = page.evaluate(BUTTONS, ["auto", False, {}])  # a runtime without immersive modes
    assert (r["vr"], r["ar"]) == (False, False)
    r = page.evaluate(BUTTONS, ["none", False, both])
    assert (r["vr"], r["ar"]) == (False, False)
    page.evaluate(BUTTONS, ["auto", False, vr_only])
    text = page.evaluate(
        "() => document.getElementById('viewer').shadowRoot.querySelector('.xr-vr').textContent"
    )
    assert text == "Enter VR"
    assert not log.errors(), log.errors()


def _gl_pixels(page, drive: str) -> np.ndarray:
    """Run ``drive`` (JS statements, may await) then read the XR layer's framebuffer
    (RGBA, top row first)."""
    b64 = page.evaluate(
        """async () => {
            const v = document.getElementById('viewer');
            const mock = window.__xrMock;
            DRIVE
            const gl = mock.gl, w = gl.drawingBufferWidth, h = gl.drawingBufferHeight;
            const px = new Uint8Array(w * h * 4);
            gl.bindFramebuffer(gl.FRAMEBUFFER, null);
            gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
            let s = '';
            for (let i = 0; i < px.length; i += 8192) {
                s += String.fromCharCode(...px.subarray(i, i + 8192));
            }
            return btoa(s);
        }""".replace("DRIVE", drive)
    )
    rgba = np.frombuffer(base64.b64decode(b64), np.uint8).reshape(H, 2 * W, 4)
    return rgba[::-1]  # GL rows run bottom-up


TWO_FRAMES = "await v._xr.rendered(); if (!mock.tick()) throw new Error('no XR frame asked for');"


def _native_eye(scene_path, placement: dict, eye: dict) -> np.ndarray:
    """The native render of one eye: its camera rebuilt here from the matrices."""
    from splatrender.formats import load
    from splatrender.gpu import request_device
    from splatrender.reference.pool import to_scene_data
    from splatrender.render.camera import Camera
    from splatrender.render.renderer import Renderer

    m = np.array(placement["matrix"]).reshape(4, 4)  # scene -> local-floor
    s = placement["scale"]
    a = np.linalg.inv(eye["pose"]) @ m  # scene -> eye (OpenGL), times s
    w2c = np.eye(4)
    w2c[:3, :] = np.diag([1, -1, -1]) @ (a[:3, :] / s)  # rigid, scene units, y down z forward
    p = eye["projection"]
    near = p[2, 3] / (p[2, 2] - 1) / s
    cam = Camera(
        W,
        H,
        fx=p[0, 0] * W / 2,
        fy=p[1, 1] * H / 2,
        cx=(1 - p[0, 2]) * W / 2,
        cy=(1 + p[1, 2]) * H / 2,
        world_to_camera=tuple(float(v) for v in w2c.reshape(-1)),
        near=near,
        far=p[2, 3] / (p[2, 2] + 1) / s,
    )

    async def go() -> bytes:
        renderer = await Renderer.create(await request_device())
        renderer.set_scene(to_scene_data(load(scene_path)))
        await renderer.render(cam, tuple(placement["background"]))
        return await renderer.read_rgba8()

    rgba = np.frombuffer(run_native(go), np.uint8).reshape(H, W, 4)
    return rgba[..., :3]


@pytest.mark.browser
@pytest.mark.gpu
def test_stereo_frame_matches_native_eyes(xr_page, scenes_dir):
    page, log, info = xr_page
    page.evaluate(BUTTONS, ["auto", False, {"immersive-vr": True, "immersive-ar": False}])
    start = page.evaluate(
        """async () => {
            const v = document.getElementById('viewer');
            const seen = {start: null, end: 0};
            window.__xrSeen = seen;
            v.addEventListener('xrstart', (e) => { seen.start = e.detail.mode; });
            v.addEventListener('xrend', () => { seen.end++; });
            const session = await v.enterXR();
            const mock = window.__xrMock;
            return {seen, requests: mock.requests, spaces: mock.spaceRequests,
                    placement: v._xr.placement, active: v._xr.active,
                    sameSession: session === mock.session,
                    label: v.shadowRoot.querySelector('.xr-vr').textContent};
        }"""
    )
    assert start["seen"]["start"] == "immersive-vr" and start["active"] and start["sameSession"]
    assert [r["mode"] for r in start["requests"]] == ["immersive-vr"]
    assert "local-floor" in start["requests"][0]["options"]["optionalFeatures"]
    assert start["spaces"] == ["local-floor"]
    assert start["label"] == "Exit VR"

    # Placement: the scene's up is +y, its centre ahead at table height, ~1.5 m big.
    pl = start["placement"]
    m = np.array(pl["matrix"]).reshape(4, 4)
    s = pl["scale"]
    up = np.array(info["up"])
    assert m[:3, :3] @ up / s == pytest.approx([0, 1, 0], abs=1e-9)
    lo, hi = np.array(info["boundsMin"]), np.array(info["boundsMax"])
    assert s * (hi - lo).max() == pytest.approx(1.5)
    centre = m @ np.append((lo + hi) / 2, 1)
    assert centre[0] == pytest.approx(0) and 0.5 < centre[1] < 1.6 and -3.5 < centre[2] < -1.25

    # Frame 1 starts the stereo render (nothing finished to show yet: background only);
    # frame 2 shows it.
    first = _gl_pixels(page, "mock.tick();")[..., :3]
    assert first.max() <= 1, "the first XR frame has no eye image yet"
    px = _gl_pixels(page, TWO_FRAMES)[..., :3]
    left, right = px[:, :W], px[:, W:]
    for half in (left, right):
        assert (half.max(axis=2) > 40).mean() > 0.01, "an eye shows no scene"
    diff = np.abs(left.astype(int) - right.astype(int)).mean()
    assert 0.3 < diff < 40, f"the eyes should differ by a little parallax, mean |diff| {diff:.2f}"
    eyes = _eyes()
    values = []
    for half, eye in zip((left, right), eyes, strict=True):
        native = _native_eye(scenes_dir / SCENE, pl, eye)
        assert native.std() > 5, "the native eye is blank"
        values.append(psnr(half, native))
    # Swapped eyes must match worse: the comparison sees the parallax.
    swapped = psnr(left, _native_eye(scenes_dir / SCENE, pl, eyes[1]))
    print(
        f"XR eyes vs native: left {values[0]:.1f} dB, right {values[1]:.1f} dB, "
        f"left vs the right eye's native {swapped:.1f} dB, |L-R| mean {diff:.2f}"
    )
    assert min(values) >= 35
    assert swapped < min(values) - 3

    # Exit: the session ends, xrend fires, the page's own canvas draws again.
    end = page.evaluate(
        """async () => {
            const v = document.getElementById('viewer');
            let frames = 0;
            v.addEventListener('frame', () => frames++);
            await v.exitXR();
            await new Promise((res) => setTimeout(res, 50));
            await v.drawn();
            const mock = window.__xrMock;
            return {seen: window.__xrSeen, active: v._xr.active, ended: mock.session.ended,
                    frames, pending: mock.tick()};
        }"""
    )
    assert end["seen"]["end"] == 1 and not end["active"] and end["ended"]
    assert end["frames"] >= 1 and not end["pending"]
    assert not log.errors(), log.errors()


@pytest.mark.browser
@pytest.mark.gpu
def test_local_space_fallback_and_refusals(xr_page):
    """Without local-floor the session uses "local"; a refused mode rejects with an
    error event and leaves the page drawing."""
    page, log, _ = xr_page
    r = page.evaluate(
        """async () => {
            const v = document.getElementById('viewer');
            const mock = window.__xrMock;
            mock.supported = {"immersive-vr": true, "immersive-ar": false};
            mock.spaces = ["local"];
            mock.spaceRequests = [];
            await v.enterXR('immersive-vr');
            const spaces = mock.spaceRequests.slice();
            const offset = v._xr.placement.offset;
            await v.exitXR();
            let error = null;
            v.addEventListener('error', (e) => { error = e.detail.message; }, {once: true});
            let rejected = false;
            try { await v.enterXR('immersive-ar'); } catch (e) { rejected = true; }
            mock.spaces = ["local-floor", "local", "viewer"];
            return {spaces, offset, rejected, error: Boolean(error), active: v._xr.active};
        }"""
    )
    assert r["spaces"] == ["local-floor", "local"]
    assert r["offset"][1] < 0  # below the head: a local space starts at the eyes
    assert r["rejected"] and r["error"] and not r["active"]
    assert not log.errors(), log.errors()


def test_eye_camera_projects_like_the_xr_matrices():
    """A scene point lands on the same pixel through splatrender's eye camera as through
    the XR projection and view matrices and the placement (pure Python, no GPU)."""
    from splatrender.web.xr import Placement, centre_camera, eye

    rng = np.random.default_rng(3)
    placement = Placement.for_scene(((-1, -2, -0.5), (3, 1, 0.5)), "RDF", (0, -1, 0))
    m = np.array(placement.matrix()).reshape(4, 4)
    eyes = []
    for e in _eyes():
        view = np.linalg.inv(e["pose"])
        xe = eye(_col(view), _col(e["projection"]), placement)
        eyes.append(xe)
        cam = xe.camera(W, H)
        w2c = np.array(cam.world_to_camera).reshape(4, 4)
        assert w2c[:3, :3] @ w2c[:3, :3].T == pytest.approx(np.eye(3), abs=1e-9)
        pts = rng.uniform((-1, -2, -0.5), (3, 1, 0.5), size=(50, 3))
        for p in pts:
            clip = e["projection"] @ view @ m @ np.append(p, 1)
            ndc = clip[:3] / clip[3]
            gl_px = ((ndc[0] + 1) / 2 * W, (1 - ndc[1]) / 2 * H)  # y down from the top
            c = w2c @ np.append(p, 1)
            px = (cam.fx * c[0] / c[2] + cam.cx, cam.fy * c[1] / c[2] + cam.cy)
            assert px == pytest.approx(gl_px, abs=1e-6)
        assert cam.near * placement.scale == pytest.approx(0.1)
        assert cam.far * placement.scale == pytest.approx(1000.0)
    mid = centre_camera(eyes, W, H).position
    dist = math.dist(eyes[0].position, eyes[1].position) * placement.scale
    assert dist == pytest.approx(IPD)
    assert mid == pytest.approx(np.mean([e.position for e in eyes], axis=0))
    # xr-scale: metres per scene unit; the near face stays 1.25 m ahead
    big = Placement.for_scene(((-1, -2, -0.5), (3, 1, 0.5)), "RDF", (0, -1, 0), scale=2.0)
    assert big.scale == 2.0 and big.offset[2] == pytest.approx(-(1.25 + 1.0))


@pytest.mark.browser
@pytest.mark.gpu
def test_budget_per_eye_and_ar(xr_page):
    """The budget caps each eye (one cut for both, chosen once per XR frame); an AR
    session clears to transparent and the splats show over it."""
    page, log, info = xr_page
    r = page.evaluate(
        """async () => {
            const v = document.getElementById('viewer');
            const mock = window.__xrMock;
            mock.supported = {"immersive-vr": true, "immersive-ar": true};
            const frames = [];
            v.addEventListener('xrframe', (e) => frames.push(e.detail));
            v.setAttribute('budget', '1000');  // whole 65,536-splat pages: one page
            await v.enterXR('immersive-ar');
            mock.tick();
            await v._xr.rendered();
            v.setAttribute('budget', '0');
            return {frames, mode: mock.session.mode};
        }"""
    )
    assert r["mode"] == "immersive-ar"
    (frame,) = r["frames"]
    assert len(frame["visible"]) == 2 and all(0 < n <= 65536 for n in frame["visible"])
    assert frame["visible"][0] < info["count"]
    px = _gl_pixels(page, TWO_FRAMES)
    alpha = px[..., 3]
    lit = px[..., :3].max(axis=2) > 40
    assert (alpha[~lit] <= 40).all() and alpha.min() == 0  # see-through where no splat is
    assert (alpha[lit] > 40).all() and lit.mean() > 0.005
    page.evaluate("() => document.getElementById('viewer').exitXR()")
    assert not log.errors(), log.errors()
