"""Scenes of several objects in the page: the JS API (``loadObjects``, ``addObject``,
``setObject``, ``removeObject``), ``<splat-object>`` children and a scene file as ``src``
draw what the native ``ObjectScene`` of the same placements draws, edits show live, and
bad objects are errors that leave the scene on screen.

Tolerance: the page and the native render run the same WGSL decoders and passes on
the same splats in the same placements (no numpy reader involved); what may differ is
SwiftShader's vs lavapipe's float32 rounding, which can flip a discontinuous pixel (a
1/255 alpha cut, a depth tie), and the canvas' 8-bit blit. These scenes measure 87-96 dB
at 160x120 (printed; a few pixels one level apart), so 45 dB leaves room for a handful
of flipped edge pixels and still fails any misplaced, missing or extra object.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.web.webtools import psnr, run_native, screenshot_rgb

pytestmark = [pytest.mark.browser, pytest.mark.gpu]

GUITAR, BIKER = "guitar.compressed.ply", "biker.spz"
MIN_PSNR = 45.0


def two_objects(prefix: str) -> list[dict]:
    """The guitar (RDF) and the biker (RUB, turned upright by the scene) side by side."""
    return [
        {"source": prefix + GUITAR, "name": "guitar", "translation": [-0.9, 0, 0]},
        {"source": prefix + BIKER, "name": "biker", "translation": [0.9, 0, 0], "scale": 0.9},
    ]


def native_objects(
    scenes_dir, entries: list[dict], cam: dict, size, changes=(), budget=None, setup=None
):
    """The native render (wgpu-py, the same GPU decoders) of an ``ObjectScene`` opened
    from ``entries`` (sources relative to ``scenes_dir``), after ``changes``: (key,
    {translation/rotation_deg/scale/visible}) applied as the page applies them, and
    ``setup(scene)``; returns the RGB image and the splats drawn."""
    from splatrender.gpu import request_device
    from splatrender.render.camera import Camera
    from splatrender.render.renderer import Renderer
    from splatrender.scene import settle
    from splatrender.scene.open import open_objects
    from splatrender.scene.scene_file import parse_scene_file

    width, height = size
    doc = json.dumps({"objects": entries}).encode()

    async def go() -> tuple[bytes, int]:
        device = await request_device()
        spec = parse_scene_file(doc, str(scenes_dir / "scene.json"))
        scene = await open_objects(spec, device, budget=budget or 1_000_000)
        try:
            if budget:
                scene.set_budget(budget)
            for key, c in changes:
                o = scene.object(key)
                place = {k: c[k] for k in ("translation", "rotation_deg", "scale") if k in c}
                if place:
                    scene.set_transform(key, o.transform.updated(place))
                if "visible" in c:
                    scene.set_visible(key, c["visible"])
            if setup is not None:
                setup(scene)
            camera = Camera.look_at(
                cam["eye"], cam["target"], cam["up"], width=width, height=height,
                fov_y_deg=cam["fov"],
            )  # fmt: skip
            drawn = (await settle(scene, camera)).drawn_splats
            renderer = await Renderer.create(device)
            renderer.set_pool(scene.pool)
            await renderer.render(camera)
            return await renderer.read_rgba8(), drawn
        finally:
            await scene.close()

    data, drawn = run_native(go)
    return np.frombuffer(data, np.uint8).reshape(height, width, 4)[..., :3], drawn


def compare(
    page, scenes_dir, entries, what: str, changes=(), budget=None, both_lit=True, setup=None
) -> np.ndarray:
    """Screenshot the viewer, assert it matches the native render (and, with a LOD set,
    that the last frame drew the native cut); returns the shot."""
    cam = page.evaluate(
        """async () => {
            let drawn = null;
            const onFrame = (e) => { drawn = e.detail.drawn; };
            viewer.addEventListener('frame', onFrame);
            await viewer.settled();
            viewer.removeEventListener('frame', onFrame);
            return {...viewer.getCamera(), lastDrawn: drawn ?? window.lastDrawn};
        }"""
    )
    shot = screenshot_rgb(page)
    h, w = shot.shape[:2]
    native, drawn = native_objects(scenes_dir, entries, cam, (w, h), changes, budget, setup)
    lit = native.max(axis=2) > 25
    if both_lit:  # an object in each half of the picture
        assert lit[:, : w // 2].mean() > 0.02 and lit[:, w // 2 :].mean() > 0.02, what
    value = psnr(shot, native)
    print(f"{what}: page vs native PSNR {value:.1f} dB at {w}x{h}")
    assert value >= MIN_PSNR, what
    if budget:  # LOD selection is deterministic: once settled, the page draws the native cut
        assert cam["lastDrawn"] == drawn, (cam["lastDrawn"], drawn)
    return shot


def errors_seen(page) -> None:
    page.evaluate(
        """() => { window.seenErrors = [];
            viewer.addEventListener('error', (e) => seenErrors.push(e.detail.message)); }"""
    )


def test_js_api_places_edits_adds_and_removes(desktop, scenes_dir):
    page, log = desktop
    r = page.evaluate(
        """async (objs) => {
            const info = await viewer.loadObjects(objs);
            return {info, cam: viewer.getCamera()};
        }""",
        [{"src": o.pop("source"), **o} for o in two_objects("/scenes/shared/")],
    )
    info = r["info"]
    assert info["format"] == "objects" and info["count"] == 90_854 + 152_746
    assert [o["name"] for o in info["objects"]] == ["guitar", "biker"]
    assert info["objects"][1]["scale"] == [0.9, 0.9, 0.9]
    entries = two_objects("")
    before = compare(page, scenes_dir, entries, "two objects (loadObjects)")

    # A live edit: the biker turns, steps forward and shrinks; the camera stays.
    move = {"translation": [0.7, -0.3, -0.5], "rotation_deg": [0, 60, 0], "scale": 0.7}
    state = page.evaluate(
        """async (m) => {
            const o = viewer.setObject('biker', {translation: m.translation,
                                                 rotationDeg: m.rotation_deg, scale: m.scale});
            await viewer.drawn();
            return o;
        }""",
        move,
    )
    assert state["name"] == "biker" and state["translation"] == [0.7, -0.3, -0.5]
    moved = compare(page, scenes_dir, entries, "biker moved (setObject)", [("biker", move)])
    assert psnr(before, moved) < 30, "setObject did not change the picture"

    # Only the opacity: the placement is kept. Then hide by index and show again.
    page.evaluate("async () => { viewer.setObject(1, {opacity: 0.5}); await viewer.drawn(); }")
    o = page.evaluate("() => viewer.info.objects[1]")
    assert o["opacity"] == 0.5 and o["translation"] == [0.7, -0.3, -0.5]
    page.evaluate(
        "async () => { viewer.setObject(1, {opacity: 1, visible: false}); await viewer.drawn(); }"
    )
    hide = [("biker", move), ("biker", {"visible": False})]
    hidden = compare(page, scenes_dir, entries, "biker hidden", hide, both_lit=False)
    assert psnr(hidden, moved) < 30, "a hidden object is still drawn"
    page.evaluate("async () => { viewer.setObject('biker', {visible: true}); }")

    # addObject (a repeated name is made unique) then removeObject: the picture is back.
    name = page.evaluate(
        """async (src) => {
            const n = await viewer.addObject(src, {name: "guitar", translation: [0, 0, 2]});
            await viewer.drawn();
            return n;
        }""",
        "/scenes/shared/" + GUITAR,
    )
    assert name == "guitar (2)"
    assert len(page.evaluate("() => viewer.info.objects")) == 3
    added = screenshot_rgb(page)
    page.evaluate("async (n) => { await viewer.removeObject(n); await viewer.drawn(); }", name)
    back = screenshot_rgb(page)
    assert psnr(added, back) < 40 and psnr(back, moved) >= 50
    assert not log.errors(), log.errors()


EDIT = {"shapes": [{"kind": "sphere", "size": 0.5, "translation": [-0.9, -1.5, 0]}],
        "mode": "set_rgb", "color": [1, 0, 0, 1], "softness": 0.05}  # fmt: skip
GREY = {"builtin": "grade", "params": [0, 1, 1, 0]}


def test_edits_and_modifiers_from_the_page(desktop, scenes_dir):
    from splatrender.scene.edits import Edit
    from splatrender.scene.modifiers import Modifier

    page, log = desktop
    objs = [{"src": o.pop("source"), **o} for o in two_objects("/scenes/shared/")]
    page.evaluate("async (objs) => { await viewer.loadObjects(objs); }", objs)
    plain = screenshot_rgb(page)
    page.evaluate(
        """async ([edit, grey]) => {
            await viewer.setEdits([edit]);
            viewer.setObject('biker', {modifier: grey});
            await viewer.drawn();
        }""",
        [EDIT, GREY],
    )

    def setup(scene):
        scene.set_edits([Edit.from_dict(EDIT)])
        scene.set_modifier("biker", Modifier.from_dict(GREY))

    edited = compare(page, scenes_dir, two_objects(""), "edit + grade", setup=setup)
    assert psnr(plain, edited) < 35, "the edit and the grade changed nothing"
    # A reveal runs on the clock: the idle page keeps drawing frames.
    frames = page.evaluate(
        """async () => {
            let n = 0;
            const count = () => { n += 1; };
            viewer.setObject('biker', {modifier: {builtin: 'reveal', params: [2, 0.2, 0.3, 0]}});
            viewer.addEventListener('frame', count);
            const t0 = performance.now();  // a still scene draws once; this one goes on
            while (n < 4 && performance.now() - t0 < 30000) {
                await new Promise((r) => setTimeout(r, 50));
            }
            viewer.removeEventListener('frame', count);
            viewer.setObject('biker', {modifier: null});
            await viewer.setEdits([]);
            return n;
        }"""
    )
    assert frames >= 4, frames
    assert not log.errors(), log.errors()


def test_splat_object_children_follow_their_attributes(desktop, scenes_dir):
    page, log = desktop
    entries = two_objects("")
    try:
        info = page.evaluate(
            """async () => {
                viewer.removeAttribute('src');
                const loaded = new Promise((res) => viewer.addEventListener('load',
                    (e) => res(e.detail), {once: true}));
                viewer.insertAdjacentHTML('beforeend',
                    '<splat-object id="g" src="/scenes/shared/guitar.compressed.ply"' +
                    ' name="guitar" translation="-0.9,0,0"></splat-object>' +
                    '<splat-object id="b" src="/scenes/shared/biker.spz" name="biker"' +
                    ' translation="0.9 0 0" scale="0.9"></splat-object>');
                const info = await loaded;
                viewer.setCamera({eye: info.eye, target: info.target, fov: 50});
                await viewer.drawn();
                return info;
            }"""
        )
        assert [o["name"] for o in info["objects"]] == ["guitar", "biker"]
        before = compare(page, scenes_dir, entries, "two <splat-object> children")
        page.evaluate(
            """async () => {
                const b = document.getElementById('b');
                b.setAttribute('translation', '0.7,-0.3,-0.5');
                b.setAttribute('rotation-deg', '0 60 0');
                b.setAttribute('scale', '0.7');
                await viewer.drawn();
            }"""
        )
        move = {"translation": [0.7, -0.3, -0.5], "rotation_deg": [0, 60, 0], "scale": 0.7}
        moved = compare(page, scenes_dir, entries, "child attributes changed", [("biker", move)])
        assert psnr(before, moved) < 30
        # Removing an attribute puts back its default (scale 1).
        page.evaluate(
            """async () => { document.getElementById('b').removeAttribute('scale');
                             await viewer.drawn(); }"""
        )
        assert page.evaluate("() => viewer.info.objects[1].scale") == [1, 1, 1]
        page.evaluate(
            """async () => { document.getElementById('g').setAttribute('visible', 'false');
                             await viewer.drawn(); }"""
        )
        assert page.evaluate("() => viewer.info.objects[0].visible") is False
        # A new child is added to the scene, a removed one leaves it.
        n = page.evaluate(
            """async () => {
                viewer.insertAdjacentHTML('beforeend', '<splat-object id="k"' +
                    ' src="/scenes/shared/kacytran1122_try__point_cloud_iter7000.ply"' +
                    ' scale="0.1"></splat-object>');
                await new Promise((r) => setTimeout(r, 0));  // the mutation observer
                await viewer.drawn();
                const n = viewer.info.objects.length;
                document.getElementById('k').remove();
                await new Promise((r) => setTimeout(r, 0));
                await viewer.drawn();
                return [n, viewer.info.objects.length];
            }"""
        )
        assert n == [3, 2]
    finally:
        page.evaluate(
            """async () => { document.querySelectorAll('splat-object').forEach((e) => e.remove());
                             await new Promise((r) => setTimeout(r, 0)); await viewer.drawn(); }"""
        )
    assert not log.errors(), log.errors()


def test_scene_file_as_src(desktop, scenes_dir, scene_root):
    """``src`` a scene file: its objects (a file and a streamed LOD set) are fetched
    relative to it and drawn as the native scene of the same file draws them."""
    page, log = desktop
    entries = [
        *two_objects("../shared/"),
        {"source": "../shared/playbot/lod-meta.json", "name": "playbot",
         "translation": [0, 0, 1.5], "rotation_deg": [0, 30, 0]},
    ]  # fmt: skip
    (scene_root / "scene.json").write_text(json.dumps({"objects": entries}))
    budget = 300_000  # the guitar and the biker whole (243,600), the rest for playbot
    try:
        info = page.evaluate(
            """async (budget) => {
                viewer.setAttribute('budget', String(budget));
                const loaded = new Promise((res, rej) => {
                    viewer.addEventListener('load', (e) => res(e.detail), {once: true});
                    viewer.addEventListener('error', (e) => rej(new Error(e.detail.message)),
                                            {once: true});
                });
                viewer.setAttribute('src', '/scenes/local/scene.json');
                window.drawnSplats = [];
                viewer.addEventListener('frame', (e) => {
                    drawnSplats.push(e.detail.drawn);
                    window.lastDrawn = e.detail.drawn;
                });
                return await loaded;
            }""",
            budget,
        )
        assert info["lod"] is True and info["name"] == "scene.json"
        assert [o["name"] for o in info["objects"]] == ["guitar", "biker", "playbot"]
        assert info["objects"][2]["source"].endswith("/scenes/shared/playbot/lod-meta.json")
        native_entries = [*two_objects(""), {**entries[2], "source": "playbot/lod-meta.json"}]
        compare(page, scenes_dir, native_entries, "scene file (2 files + LOD set)", (), budget)
        drawn = page.evaluate("() => drawnSplats")
        # The first frame shows playbot's roots (1,873 splats), later ones refine it.
        roots = 90_854 + 152_746 + 1_873
        assert roots in drawn and drawn[-1] > roots, drawn
    finally:
        page.evaluate(
            "() => { viewer.removeAttribute('src'); viewer.setAttribute('budget', '0'); }"
        )
    assert not log.errors(), log.errors()


def test_bad_objects_are_errors_and_the_scene_stays(desktop, scene_root):
    page, log = desktop
    (scene_root / "bad.splat").write_bytes(b"\1" * 33)
    (scene_root / "nested.json").write_text(json.dumps({"objects": [{"source": "bad-scene.json"}]}))
    (scene_root / "bad-scene.json").write_text('{"objects": [{"source": "x.ply", "scale": 0}]}')
    page.evaluate(
        "async (objs) => { await viewer.loadObjects(objs); }",
        [{"src": o.pop("source"), **o} for o in two_objects("/scenes/shared/")],
    )
    errors_seen(page)
    r = page.evaluate(
        """async () => {
            const tries = {
                scale0: () => viewer.addObject('/scenes/shared/biker.spz', {scale: 0}),
                corrupt: () => viewer.addObject('/scenes/local/bad.splat'),
                badKey: () => viewer.addObject('/scenes/shared/biker.spz', {spin: 1}),
                loadScale0: () => viewer.load('/scenes/local/bad-scene.json'),
                nested: () => viewer.load('/scenes/local/nested.json'),
                setNan: async () => viewer.setObject('biker', {translation: [0, NaN, 0]}),
                setOpacity: async () => viewer.setObject('guitar', {opacity: 3}),
                setMissing: async () => viewer.setObject('nobody', {scale: 2}),
                noShape: () => viewer.setEdits([{shapes: []}]),
                badModifier: async () => viewer.setObject('guitar', {modifier: {builtin: 'x'}}),
                removeLast: async () => {
                    await viewer.removeObject('biker');
                    return viewer.removeObject('guitar');
                },
            };
            const out = {};
            for (const [k, f] of Object.entries(tries)) {
                try { await f(); out[k] = 'no error'; } catch (e) { out[k] = e.message; }
            }
            const toast = viewer.shadowRoot.querySelector('.toast')?.textContent || '';
            return {out, toast, events: seenErrors.length, info: viewer.info};
        }"""
    )
    out = r["out"]
    assert "scale must not be zero" in out["scale0"], out
    assert "bad.splat" in out["corrupt"], out
    assert "unknown key(s) ['spin']" in out["badKey"], out
    assert "bad-scene.json" in out["loadScale0"] and "scale must not be zero" in out["loadScale0"]
    assert "cannot hold another scene file" in out["nested"], out
    assert "translation must be 3" in out["setNan"], out
    assert "opacity must be a number in [0, 1]" in out["setOpacity"], out
    assert "no object named 'nobody'" in out["setMissing"], out
    assert "at least one shape" in out["noShape"], out
    assert "no built-in modifier 'x'" in out["badModifier"], out
    assert "needs at least one object" in out["removeLast"], out
    assert r["events"] == len(out) and out["removeLast"] in r["toast"]
    # The scene stayed: the guitar, unmoved, still drawn; a new view renders.
    info = r["info"]
    assert [o["name"] for o in info["objects"]] == ["guitar"]
    assert info["objects"][0]["translation"] == [-0.9, 0, 0]
    assert info["objects"][0]["opacity"] == 1
    frames = page.evaluate(
        """async () => {
            let frames = 0;
            viewer.addEventListener('frame', () => frames++);
            const cam = viewer.getCamera();
            viewer.setCamera({eye: cam.eye.map((x) => x * 1.01), target: cam.target});
            await viewer.drawn();
            return frames;
        }"""
    )
    assert frames == 1
    assert screenshot_rgb(page).max() > 40
    assert not log.errors(), log.errors()


def test_a_missing_object_file_is_an_error(desktop):
    """A 404: an error naming the URL (Chromium also logs the failed request itself as a
    console error: that one message is expected and taken off the log)."""
    page, log = desktop
    before = len(log.messages)
    r = page.evaluate(
        """async () => {
            try { await viewer.addObject('/scenes/local/missing.ply'); return 'no error'; }
            catch (e) { return e.message; }
        }"""
    )
    assert "missing.ply" in r and "404" in r, r
    new = log.messages[before:]
    assert all("404" in text for _, text in new), new
    del log.messages[before:]
