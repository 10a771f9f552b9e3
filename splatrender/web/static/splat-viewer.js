// <splat-viewer>: an embeddable Gaussian-splat viewer. The rendering is splatrender's
// Python core running in Pyodide, driving the browser's WebGPU; this file owns the
// element, the input (mouse, touch, keyboard), the orbit camera and the frame loop.
//
//   <script type="module" src="splat-viewer.js"></script>
//   <splat-viewer src="scene.splat" background="#202020" budget="500000"></splat-viewer>
//
// Scenes: any format splatrender.formats.runtime reads (.ply, compressed .ply, .splat,
// .ksplat, .spz v1-4, .sog, a SOG folder's meta.json, .glb/.gltf), and streamed LOD sets
// by their manifest URL: lod.json (splatrender lod build) or lod-meta.json (PlayCanvas
// streamed SOG). A LOD set draws its coarse root set at once and refines as chunks
// arrive (HTTP Range requests); budget caps the splats drawn (default 1,000,000).
// Attributes: src, camera ("ex,ey,ez tx,ty,tz" eye and target in the scene's axes),
// fov (degrees), background ("#rrggbb" or "r,g,b" in 0..1), budget (max splats, 0 = all),
// controls ("orbit" default, "none"), mode ("classic" | "antialiased"), max-pixel-ratio
// (render resolution cap in device pixels per CSS pixel, default 2; lower is faster),
// up ("+y", "-y", ... or "x,y,z"; default "auto": the file's, or a guess for the PLY
// family and SOG). Keys: U turns the scene upside down, Shift+U makes up the next axis.
// API: load(url), setCamera({eye, target, up, fov}), getCamera(), resetCamera(), drawn(),
// settled() (drawn, and a LOD set done streaming for this view), bench(frames),
// ready (a promise of the booted element).
// Objects (several scenes placed in one world, one depth sort): src may be a scene file
// (JSON {"objects": [{"source", "translation", "rotation_deg", "scale", ...}]}, sources
// relative to it); loadObjects([{src, ...placement}]), addObject(src, placement) -> name,
// setObject(name | index, placement) (live), removeObject(name | index). Placement keys:
// translation [x,y,z], rotation [w,x,y,z] or rotationDeg [x,y,z], scale (number or 3),
// opacity, visible, name, up, modifier ({builtin: "reveal" | "grade", params: [4]} or
// null). setEdits([{shapes, mode, color, softness, invert}]): the scene's SDF edits.
// Without src, <splat-object src translation rotation
// rotation-deg scale opacity visible name up> children are the scene; changing their
// placement attributes moves them live, adding or removing one adds or removes it.
// Events: progress {stage, fraction}, load {count, ...}, error {message}, frame {ms}.
// WebXR (xr.js; untested on headsets): enterXR(mode = "immersive-vr" | "immersive-ar"),
// exitXR(), xrSupported() -> {vr, ar}; attributes xr ("auto" default, "vr", "ar", "none":
// which Enter VR / Enter AR buttons show when supported), xr-scale (metres per scene unit;
// default: the scene about 1.5 m); events xrstart {mode}, xrend, xrframe.

import { XRController, xrSupported } from "./xr.js";

const HERE = new URL(".", import.meta.url);
const POLL_MS = 50; // LOD streaming: how often to look for arrived chunks between frames

/** A failure the user caused or can fix (bad file, no WebGPU): shown, not logged as a bug. */
class UserError extends Error {}
let runtime = null; // one Pyodide for every element on the page

async function fetchConfig() {
  const r = await fetch(new URL("config.json", HERE));
  if (!r.ok) throw new Error(`viewer build is missing config.json (HTTP ${r.status})`);
  return r.json();
}

/** Boot Pyodide once and install the splatrender wheel; resolves to the Pyodide API. */
export function bootPython(onProgress = () => {}) {
  if (!runtime) runtime = boot(onProgress);
  return runtime;
}

async function boot(onProgress) {
  onProgress("config", 0.02);
  const cfg = await fetchConfig();
  const base = new URL(cfg.pyodide, HERE).href;
  if (cfg.zstd) await loadScript(new URL(cfg.zstd, HERE).href); // globalThis.fzstd (SPZ v4)
  onProgress("python", 0.05);
  const { loadPyodide } = await import(base + "pyodide.mjs");
  const py = await loadPyodide({ indexURL: base });
  onProgress("wheel", 0.45);
  const whl = await fetch(new URL(cfg.wheel, HERE));
  if (!whl.ok) throw new Error(`cannot fetch ${cfg.wheel} (HTTP ${whl.status})`);
  const site = py.runPython("import sysconfig; sysconfig.get_path('purelib')");
  py.unpackArchive(await whl.arrayBuffer(), "wheel", { extractDir: site });
  onProgress("modules", 0.5);
  py.pyimport("splatrender.web.app");
  return py;
}

/** Load a classic (UMD) script once. */
function loadScript(src) {
  return new Promise((res, rej) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = res;
    s.onerror = () => rej(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

/** Fetch a URL as bytes, reporting progress(fraction) as the body arrives. */
async function fetchBytes(url, progress) {
  const r = await fetch(url);
  if (!r.ok) throw new UserError(`cannot fetch ${url}: HTTP ${r.status}`);
  const total = Number(r.headers.get("content-length")) || 0;
  if (!r.body || !total) return new Uint8Array(await r.arrayBuffer());
  const out = new Uint8Array(total);
  const reader = r.body.getReader();
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.length > out.length) throw new UserError(`${url}: longer than its Content-Length`);
    out.set(value, n);
    n += value.length;
    progress(n / total);
  }
  return n === total ? out : out.subarray(0, n);
}

/** Is this URL a streamed LOD set's manifest? */
function isLodManifest(u) {
  return /(^|\/)(lod|lod-meta)\.json$/i.test(u.pathname);
}

/** Every file name listed under a "files" key of a SOG meta.json. */
function sogFiles(meta) {
  const out = new Set();
  const walk = (v) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "files" && Array.isArray(x)) x.filter((f) => typeof f === "string").forEach((f) => out.add(f));
        else walk(x);
      }
    }
  };
  walk(meta);
  return [...out].filter((f) => !f.includes("..") && !f.startsWith("/"));
}

function parseVec(text) {
  const v = String(text).split(/[\s,]+/).filter(Boolean).map(Number);
  return v.length === 3 && v.every(Number.isFinite) ? v : null;
}

/** A placement from the JS API ({translation, rotationDeg, ...}) as a scene file's keys. */
function objectEntry(opts = {}) {
  const out = {};
  for (const [k, v] of Object.entries(opts)) {
    if (v !== undefined) out[k === "rotationDeg" ? "rotation_deg" : k] = v;
  }
  return out;
}

const OBJECT_PLACEMENT = ["translation", "rotation", "rotation-deg", "scale", "opacity", "visible"];

/** A <splat-object>'s placement attributes, complete (an absent one is its default). */
function childPlacement(el) {
  const nums = (name) => String(el.getAttribute(name)).split(/[\s,]+/).filter(Boolean).map(Number);
  const out = { translation: el.hasAttribute("translation") ? nums("translation") : [0, 0, 0] };
  if (el.hasAttribute("rotation-deg")) out.rotation_deg = nums("rotation-deg");
  else out.rotation = el.hasAttribute("rotation") ? nums("rotation") : [1, 0, 0, 0];
  const s = el.hasAttribute("scale") ? nums("scale") : [1];
  out.scale = s.length === 1 ? s[0] : s;
  out.opacity = el.hasAttribute("opacity") ? Number(el.getAttribute("opacity")) : 1;
  const vis = (el.getAttribute("visible") ?? "true").trim().toLowerCase();
  out.visible = !["false", "0", "no", "off"].includes(vis) && !el.hasAttribute("hidden");
  return out;
}

/** A <splat-object>'s object entry: its placement, source, name and up. */
function childEntry(el) {
  const out = { source: el.getAttribute("src") || "", ...childPlacement(el) };
  if (el.getAttribute("name")) out.name = el.getAttribute("name");
  if (el.getAttribute("up")) out.up = el.getAttribute("up");
  return out;
}

function parseColor(text) {
  if (!text) return [0, 0, 0];
  const t = text.trim();
  if (/^#[0-9a-f]{6}$/i.test(t)) {
    return [1, 3, 5].map((i) => parseInt(t.slice(i, i + 2), 16) / 255);
  }
  return parseVec(t) || [0, 0, 0];
}

const sub = (a, b) => a.map((v, i) => v - b[i]);
const add = (a, b) => a.map((v, i) => v + b[i]);
const scale = (a, k) => a.map((v) => v * k);
const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const len = (a) => Math.hypot(...a);
const unit = (a) => scale(a, 1 / (len(a) || 1));
const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

// Orbit camera in a y-up "canonical" space: its y is the scene's up (Python chooses it,
// info.up), x the scene's x made level (z when up is along x), z = x cross y. A RUB
// scene is the canonical space itself; an RDF one (up -y) is it turned 180 degrees about x.
class Orbit {
  constructor() {
    this.setUp([0, 1, 0]);
    this.target = [0, 0, 0];
    this.dist = 5;
    this.yaw = 0;
    this.pitch = 0.35;
    this.fov = 50;
  }
  setUp(up) {
    const ey = unit(up);
    const level = (v) => sub(v, scale(ey, dot(v, ey)));
    const ex = unit(len(level([1, 0, 0])) > 1e-3 ? level([1, 0, 0]) : level([0, 0, 1]));
    this.basis = [ex, ey, cross(ex, ey)];
  }
  toCanon(v) {
    return this.basis.map((e) => dot(v, e));
  }
  fromCanon(c) {
    return this.basis.reduce((acc, e, i) => add(acc, scale(e, c[i])), [0, 0, 0]);
  }
  setEyeTarget(eye, target) {
    const d = this.toCanon(sub(eye, target));
    this.target = target.slice();
    this.dist = Math.max(1e-6, len(d));
    this.pitch = Math.asin(Math.max(-1, Math.min(1, d[1] / this.dist)));
    this.yaw = Math.atan2(d[0], d[2]);
  }
  eye() {
    const c = Math.cos(this.pitch);
    const d = [c * Math.sin(this.yaw), Math.sin(this.pitch), c * Math.cos(this.yaw)];
    return add(this.target, this.fromCanon(scale(d, this.dist)));
  }
  up() {
    return this.basis[1].slice();
  }
  rotate(dx, dy) {
    this.yaw -= dx;
    this.pitch = Math.max(-1.55, Math.min(1.55, this.pitch + dy));
  }
  dolly(factor) {
    this.dist = Math.max(1e-4, this.dist * factor);
  }
  /** Move the target by (dx, dy) pixels on a viewport `height` pixels tall. */
  pan(dx, dy, height) {
    const perPixel = (2 * this.dist * Math.tan((this.fov * Math.PI) / 360)) / height;
    const fwd = sub(this.target, this.eye());
    const right = cross(fwd, this.up());
    const r = scale(right, 1 / (len(right) || 1));
    const u = cross(r, scale(fwd, 1 / (len(fwd) || 1)));
    this.target = add(this.target, add(scale(r, -dx * perPixel), scale(u, dy * perPixel)));
  }
  /** Walk the orbit centre along the view direction by `forward` tenths of the distance. */
  move(forward) {
    const fwd = sub(this.target, this.eye());
    this.target = add(this.target, scale(fwd, (forward / (len(fwd) || 1)) * this.dist * 0.1));
  }
}

const STYLE = `
:host { display: block; position: relative; width: 100%; height: 400px; background: #000;
  overflow: hidden; contain: strict; outline: none; }
canvas { display: block; width: 100%; height: 100%; touch-action: none; }
.overlay { position: absolute; inset: 0; display: flex; flex-direction: column; gap: 8px;
  align-items: center; justify-content: center; color: #ddd; font: 14px system-ui, sans-serif;
  pointer-events: none; text-align: center; padding: 16px; box-sizing: border-box; }
.bar { width: min(320px, 70%); height: 6px; background: #333; border-radius: 3px; overflow: hidden; }
.fill { height: 100%; width: 0; background: #4a9eff; transition: width 0.15s; }
.message { max-width: 36em; }
.hidden { display: none; }
`;

export class SplatViewer extends HTMLElement {
  static get observedAttributes() {
    return ["src", "camera", "fov", "background", "budget", "controls", "mode", "max-pixel-ratio", "up",
      "xr", "xr-scale"];
  }

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    root.innerHTML = `<style>${STYLE}</style><canvas part="canvas"></canvas>
      <div class="overlay" part="overlay"><div class="message"></div>
      <div class="bar"><div class="fill"></div></div></div>`;
    this.canvas = root.querySelector("canvas");
    this.overlay = root.querySelector(".overlay");
    this.messageEl = root.querySelector(".message");
    this.fillEl = root.querySelector(".fill");
    this.orbit = new Orbit();
    this.app = null;
    this.info = null;
    this.dirty = false;
    this.busy = false;
    this._tickAt = 0; // the last animation frame's tick (performance.now)
    this._frameStartAt = -1; // when the last frame started
    this._kickPending = false;
    this.streaming = false; // a LOD set has fetches pending: poll between frames
    this._lastPoll = 0;
    this.pointers = new Map();
    this.lastFrameMs = 0;
    this._loadSeq = 0;
    this._frameWaiters = [];
    this._home = null;
    this._queue = Promise.resolve(); // object edits, one at a time
    this._children = new Map(); // <splat-object> element -> its object's name
    this.ready = new Promise((res, rej) => {
      this._ready = res;
      this._readyFail = rej;
    });
    this.ready.catch(() => {}); // reported through the error event
    this._xr = new XRController(this); // WebXR: buttons, session, stereo frames (xr.js)
    this._xr.mount(root);
  }

  connectedCallback() {
    if (!this.hasAttribute("tabindex")) this.tabIndex = 0;
    if (this._started) {
      if (this.app && !this._raf) this._loop(); // re-attached after a removal
      return;
    }
    this._started = true;
    this._bindInput();
    this._resizeObserver = new ResizeObserver(() => this._resize());
    this._resizeObserver.observe(this);
    this._childObserver = new MutationObserver(() => this._syncChildren());
    this._childObserver.observe(this, { childList: true });
    this._start();
  }

  disconnectedCallback() {
    cancelAnimationFrame(this._raf);
    this._raf = 0;
  }

  attributeChangedCallback(name, old, value) {
    if (!this.app || old === value) return;
    if (name === "src" && value) this.load(value);
    else if (name === "camera" || name === "fov") this._applyCameraAttr();
    else if (name === "budget") this.app.set_budget(Number(value) || 0);
    else if (name === "up") this._setUp(value || "auto");
    else if (name === "max-pixel-ratio") this._resize();
    else if (name === "xr") this._xr.refreshButtons();
    this._redraw();
  }

  // -- public API ---------------------------------------------------------------
  /** Load a scene from a URL; resolves to its info, rejects (and fires error) on failure. */
  async load(url) {
    const seq = ++this._loadSeq;
    try {
      await this.ready;
      this._progress("download", 0.6);
      const u = new URL(url, location.href); // a #fragment names blob: URLs
      let info;
      if (isLodManifest(u)) {
        // Streamed: the root set loads now, the rest while frames are drawn.
        const onProgress = (f) => this._progress("download", 0.6 + 0.35 * f);
        info = JSON.parse(await this.app.open_lod(u.href, onProgress));
        if (seq !== this._loadSeq) return null;
        return await this._loaded(info);
      }
      const bytes = await fetchBytes(url, (f) => this._progress("download", 0.6 + 0.3 * f));
      if (seq !== this._loadSeq) return null; // a newer load() started
      this._progress("decode", 0.92);
      const name = (u.hash ? decodeURIComponent(u.hash.slice(1)) : u.pathname.split("/").pop()) || String(url);
      if (/(^|\/)meta\.json$/i.test(u.pathname)) {
        // SOG as a folder: meta.json names the WebP files beside it.
        const names = sogFiles(JSON.parse(new TextDecoder().decode(bytes)));
        const arrays = [bytes];
        for (const [i, f] of names.entries()) {
          arrays.push(await fetchBytes(new URL(f, u), () => {}));
          this._progress("download", 0.6 + (0.3 * (i + 1)) / names.length);
          if (seq !== this._loadSeq) return null;
        }
        info = JSON.parse(await this.app.load_files(name, JSON.stringify(["meta.json", ...names]), arrays));
      } else {
        // A scene file fetches its objects relative to its own URL.
        const onObjects = (f) => this._progress("objects", 0.92 + 0.07 * f);
        info = JSON.parse(await this.app.load(name, bytes, u.href, onObjects));
      }
      return await this._loaded(info);
    } catch (e) {
      this._fail(e, Boolean(this.info));
      throw e;
    }
  }

  /** Show a freshly loaded scene (info from Python) and fire load once it is drawn;
   * `keepView`: the camera stays where it is (a rebuilt scene of the same objects). */
  async _loaded(info, keepView = false) {
    if (info.error) throw new UserError(info.error);
    const view = keepView && this.info ? this.getCamera() : null;
    this.info = info;
    this.orbit.setUp(info.up);
    if (view) this.orbit.setEyeTarget(view.eye, view.target);
    else {
      this.orbit.setEyeTarget(info.eye, info.target);
      this._applyCameraAttr();
    }
    this._home = { eye: this.orbit.eye(), target: this.orbit.target.slice(), fov: this.orbit.fov };
    this._progress("ready", 1);
    this._showOverlay(null);
    this._redraw();
    this.streaming = Boolean(info.lod);
    await this._frameDrawn();
    this._xr.refreshButtons();
    this.dispatchEvent(new CustomEvent("load", { detail: info }));
    return info;
  }

  // -- objects ------------------------------------------------------------------------
  /** Run `op` after every object edit queued before it; its result (or failure). */
  _serial(op) {
    const run = this._queue.then(() => this.ready).then(op);
    this._queue = run.catch(() => {});
    return run;
  }

  /** Take the scene info of an object edit and wait for the frame that shows it. */
  async _redrawn(info) {
    this.info = info;
    this._redraw();
    await this._frameDrawn();
  }

  /** Python's JSON answer of an object edit; a UserError (and an error event) if it failed. */
  _objectResult(text) {
    const r = JSON.parse(text);
    if (r.error) {
      const e = new UserError(r.error);
      this._fail(e, Boolean(this.info));
      throw e;
    }
    return r;
  }

  /**
   * Open several objects as the scene (replacing the current one, which stays until
   * they are ready): [{src, translation, rotation | rotationDeg, scale, opacity, visible,
   * name, up}], sources relative to the page. Resolves to the scene info (info.objects).
   */
  loadObjects(objects) {
    const entries = objects.map(({ src, ...o }) => ({ source: src, ...objectEntry(o) }));
    return this._serial(() => this._loadObjects(entries));
  }

  /** Open scene-file object entries as the scene (inside a queued operation). */
  async _loadObjects(entries, keepView = false) {
    this._progress("objects", 0.6);
    const onObjects = (f) => this._progress("objects", 0.6 + 0.39 * f);
    const doc = JSON.stringify({ objects: entries });
    try {
      return await this._loaded(JSON.parse(await this.app.load_objects(doc, location.href, onObjects)), keepView);
    } catch (e) {
      this._fail(e, Boolean(this.info));
      throw e;
    }
  }

  /** Add an object to the scene (a single-file scene becomes its first object); resolves
   * to its name (made unique: "x (2)"), the handle setObject and removeObject take. */
  addObject(src, opts = {}) {
    return this._serial(async () => {
      const entry = { source: String(src), ...objectEntry(opts) };
      const fresh = !this.info;
      const was = this.info && this.info.format;
      const r = this._objectResult(await this.app.add_object(JSON.stringify(entry), location.href));
      if (fresh || was !== "objects") await this._loaded(r, !fresh);
      else {
        await this._redrawn(r);
      }
      return r.objects[r.objects.length - 1].name;
    });
  }

  /** Change an object (by name or index) live: any placement key; the rest is kept.
   * Returns the object's state ({name, translation, rotation, scale, opacity, ...}). */
  setObject(key, opts = {}) {
    const r = this._objectResult(this.app.set_object(key, JSON.stringify(objectEntry(opts))));
    this.info = r;
    this._redraw();
    return r.objects.find((o, i) => o.name === key || i === key);
  }

  /** The scene's edits, replacing any: [{shapes: [{kind, size, translation, rotation |
   * rotationDeg}], mode: "multiply" | "set_rgb" | "add_rgba", color: [r, g, b, a],
   * softness, invert}] (docs/objects.md); [] clears them. Applied from the next frame. */
  setEdits(edits = []) {
    return this._serial(async () => {
      const list = edits.map((e) => ({ ...e, shapes: (e.shapes || []).map(objectEntry) }));
      await this._redrawn(this._objectResult(await this.app.set_edits(JSON.stringify(list))));
    });
  }

  /** Remove an object (by name or index) and free its splats; not the last one. */
  removeObject(key) {
    return this._serial(async () => {
      await this._redrawn(this._objectResult(await this.app.remove_object(key)));
    });
  }

  _objectChildren() {
    return [...this.children].filter((el) => el.localName === "splat-object");
  }

  /** <splat-object> children (used without src): open them all at first, then add new
   * ones and remove gone ones. */
  _syncChildren() {
    if (!this.app || this.hasAttribute("src")) return;
    if (!this._objectChildren().length && !this._children.size) return;
    this._serial(async () => {
      const now = this._objectChildren();
      if (!this._children.size) {
        if (now.length) await this._openChildren(now, Boolean(this.info));
        return;
      }
      for (const [el, name] of [...this._children]) {
        if (now.includes(el)) continue;
        this._children.delete(el);
        if (this._children.size) await this._queued(() => this.app.remove_object(name));
      }
      for (const el of now.filter((x) => !this._children.has(x))) {
        const r = await this._queued(() => this.app.add_object(JSON.stringify(childEntry(el)), location.href));
        if (r) this._children.set(el, r.objects[r.objects.length - 1].name);
      }
    }).catch(() => {}); // reported through the error event
  }

  /** An object edit inside a queued operation: the new info, or null (error shown). */
  async _queued(call) {
    try {
      this.info = this._objectResult(await call());
      this._redraw();
      return this.info;
    } catch (e) {
      return null;
    }
  }

  /** A <splat-object> attribute changed: placement applies live; src, name or up
   * reopens the children (the view is kept). */
  _childChanged(el, attr) {
    if (!this._children.has(el)) return;
    if (OBJECT_PLACEMENT.includes(attr) || attr === "hidden") {
      this._serial(async () => {
        if (!this._children.has(el)) return;
        this.setObject(this._children.get(el), childPlacement(el));
      }).catch(() => {});
      return;
    }
    this._serial(() => this._openChildren(this._objectChildren(), true)).catch(() => {});
  }

  /** Open `kids` (<splat-object> elements) as the whole scene, and remember their names. */
  async _openChildren(kids, keepView) {
    this._children.clear();
    const info = await this._loadObjects(kids.map(childEntry), keepView);
    this._children = new Map(kids.map((k, i) => [k, info.objects[i].name]));
  }

  /**
   * Show the scene with another up: an `up` attribute value (+y, -z, "x,y,z", auto), or
   * "flip" / "next" (axis) for this scene only, as the U and Shift+U keys do. The view
   * starts over from the new side; info.upLabel and info.upHow say what was chosen.
   */
  _setUp(flag) {
    const r = JSON.parse(this.app.set_up(flag));
    if (r.error) {
      this._fail(new UserError(r.error), Boolean(this.info));
      return;
    }
    if (!this.info || !r.up) return; // applied when a scene loads
    this.info = r;
    this.orbit.setUp(r.up);
    this.orbit.setEyeTarget(r.eye, r.target);
    this._home = { eye: this.orbit.eye(), target: this.orbit.target.slice(), fov: this.orbit.fov };
    this._redraw();
  }

  setCamera({ eye, target, up, fov } = {}) {
    if (fov) this.orbit.fov = Number(fov);
    if (eye && target) this.orbit.setEyeTarget(eye, target);
    else if (target) this.orbit.target = target.slice();
    void up; // the orbit keeps the scene's up axis
    this._redraw();
  }

  getCamera() {
    return { eye: this.orbit.eye(), target: this.orbit.target.slice(), up: this.orbit.up(), fov: this.orbit.fov };
  }

  resetCamera() {
    if (this._home) this.setCamera(this._home);
  }

  // -- WebXR (xr.js) ----------------------------------------------------------------
  /** Which immersive modes the browser can start: {vr, ar}. */
  xrSupported() {
    return xrSupported();
  }

  /** Start an "immersive-vr" or "immersive-ar" session showing the scene; resolves to
   * the XRSession (fires xrstart), rejects (and fires error) if it cannot start. */
  async enterXR(mode = "immersive-vr") {
    try {
      const session = await this._xr.enter(mode);
      this.dispatchEvent(new CustomEvent("xrstart", { detail: { mode } }));
      return session;
    } catch (e) {
      this._fail(new UserError(e.message || String(e)), Boolean(this.info));
      throw e;
    }
  }

  /** End the XR session (xrend fires once it has; the canvas draws again). */
  exitXR() {
    return this._xr.exit();
  }

  /**
   * Benchmark: orbit `frames` steps of `degrees` around the scene (the sort is redone
   * for every view), timing each from the camera move until the frame is drawn, then
   * one frame with GPU timestamps per pass. Resolves to a plain object
   * {renderer, adapter, scene, splats, width, height, frames_ms, stages_ms, timing}.
   */
  async bench(frames = 12, degrees = 2) {
    await this.drawn();
    if (!this.info) throw new UserError("bench needs a loaded scene");
    const framesMs = [];
    for (let i = 0; i < frames; i++) {
      const t0 = performance.now();
      this.orbit.rotate((degrees * Math.PI) / 180, 0);
      this._redraw();
      await this.drawn();
      framesMs.push(performance.now() - t0);
    }
    const stages = JSON.parse(await this.app.timings());
    return {
      renderer: "splatrender (web, Pyodide)",
      adapter: this.info.adapter,
      scene: this.info.name,
      splats: this.info.count,
      width: this.canvas.width,
      height: this.canvas.height,
      frames_ms: framesMs,
      stages_ms: stages,
      timing: Object.keys(stages).length ? "gpu-timestamps" : "none",
    };
  }

  // -- boot -----------------------------------------------------------------------
  async _start() {
    if (!navigator.gpu) {
      // WebGPU exists only in secure contexts: https or localhost, and every page that
      // embeds this one (an iframe in an http page from another host has no WebGPU).
      const why = isSecureContext
        ? "This browser does not support WebGPU, which this viewer needs. Try a recent Chrome, Edge or Safari."
        : "WebGPU needs a secure context: open this page (and any page embedding it) over https or from localhost.";
      this._fail(new UserError(why), false);
      this._readyFail(new Error("no WebGPU"));
      return;
    }
    try {
      this._showOverlay("Starting…");
      const py = await bootPython((stage, f) => this._progress(stage, f));
      this._progress("gpu", 0.55);
      this._resize();
      const mod = py.pyimport("splatrender.web.app");
      this.app = await mod.ViewerApp.create(this.canvas, this.getAttribute("mode") || "classic");
      this.app.set_budget(Number(this.getAttribute("budget")) || 0);
      if (this.hasAttribute("up")) this._setUp(this.getAttribute("up"));
      this._sendView();
      this._ready(this);
      this._loop();
    } catch (e) {
      this._fail(e, false);
      this._readyFail(e);
      return;
    }
    const src = this.getAttribute("src");
    if (src) this.load(src).catch(() => {});
    else if (this._objectChildren().length) this._syncChildren();
    else this._showOverlay(null);
  }

  // -- frames ---------------------------------------------------------------------
  _redraw() {
    this.dirty = true;
    // Start now rather than at the next animation frame (up to a display interval of
    // latency for a camera set from script or a key), but at most once per interval: no
    // frame may have started since the last tick, so input events that arrive faster than
    // the display (unaligned pointer events) cannot drive frames above its rate.
    if (this._kickPending || this._frameStartAt >= this._tickAt) return;
    this._kickPending = true;
    queueMicrotask(() => {
      this._kickPending = false;
      if (this._raf && this._frameStartAt < this._tickAt) this._tick();
    });
  }

  _tick() {
    if (this.busy || !this.info || this._xr.active) return; // XR draws in its own loop
    if (this.dirty) this._renderFrame();
    else if (this.streaming && performance.now() - this._lastPoll >= POLL_MS) this._poll(performance.now());
  }

  _sendView() {
    if (!this.app) return;
    const view = { eye: this.orbit.eye(), target: this.orbit.target, up: this.orbit.up(), fov: this.orbit.fov };
    view.background = parseColor(this.getAttribute("background"));
    this.app.set_view(JSON.stringify(view));
  }

  _loop() {
    const tick = () => {
      this._raf = requestAnimationFrame(tick);
      this._tickAt = performance.now();
      this._tick();
    };
    this._raf = requestAnimationFrame(tick);
  }

  async _renderFrame() {
    this.busy = true;
    this._frameStartAt = performance.now();
    this.dirty = false;
    try {
      this._sendView();
      const r = JSON.parse(await this.app.frame());
      if (r.error) throw new UserError(r.error);
      if (r.redraw) this.dirty = true;
      if ("streaming" in r) this.streaming = r.streaming;
      this.lastFrameMs = r.ms;
      this.dispatchEvent(new CustomEvent("frame", { detail: r }));
    } catch (e) {
      this._fail(e, true);
    } finally {
      this._idle();
    }
  }

  /** LOD streaming: upload what arrived; draw again when the drawable cut changed. */
  async _poll(now) {
    this.busy = true;
    this._lastPoll = now;
    try {
      const r = JSON.parse(await this.app.poll());
      if (r.error) throw new UserError(r.error);
      if (r.changed) this.dirty = true;
      this.streaming = r.streaming;
    } catch (e) {
      this.streaming = false;
      this._fail(e, true);
    } finally {
      this._idle();
    }
  }

  _idle() {
    this.busy = false;
    const waiters = this._frameWaiters || [];
    this._frameWaiters = [];
    const keep = [];
    for (const w of waiters) {
      if (this.dirty || (w.settled && this.streaming)) keep.push(w);
      else w.res();
    }
    this._frameWaiters = keep;
  }

  /** Resolves once the object edits asked for so far are done and the view is drawn. */
  drawn() {
    return this._queue.then(() => this._frameDrawn());
  }

  /** Resolves once the current view has been drawn (not waiting for object edits). */
  _frameDrawn() {
    if (!this.dirty && !this.busy) return Promise.resolve();
    return new Promise((res) => this._frameWaiters.push({ res, settled: false }));
  }

  /** Resolves once the current view has been drawn and a LOD set has streamed in all it
   * wants for it (nothing left in flight; immediate for plain scenes). */
  settled() {
    return this._queue.then(() => {
      if (!this.dirty && !this.busy && !this.streaming) return undefined;
      return new Promise((res) => this._frameWaiters.push({ res, settled: true }));
    });
  }

  _resize() {
    const ratio = Math.min(window.devicePixelRatio || 1, Number(this.getAttribute("max-pixel-ratio")) || 2);
    const w = Math.max(1, Math.round(this.clientWidth * ratio));
    const h = Math.max(1, Math.round(this.clientHeight * ratio));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
      this._redraw();
    }
  }

  _applyCameraAttr() {
    const fov = Number(this.getAttribute("fov"));
    if (fov > 0) this.orbit.fov = fov;
    const cam = this.getAttribute("camera");
    if (cam) {
      const nums = cam.split(/[\s,;]+/).filter(Boolean).map(Number);
      if (nums.length === 6 && nums.every(Number.isFinite)) {
        this.orbit.setEyeTarget(nums.slice(0, 3), nums.slice(3, 6));
      }
    }
  }

  // -- progress and errors ----------------------------------------------------------
  _progress(stage, fraction) {
    this.fillEl.style.width = `${Math.round(fraction * 100)}%`;
    if (fraction < 1) this._showOverlay(this._stageText(stage), true);
    this.dispatchEvent(new CustomEvent("progress", { detail: { stage, fraction } }));
  }

  _stageText(stage) {
    return { config: "Starting…", python: "Loading the Python runtime…", wheel: "Installing splatrender…",
      modules: "Loading modules…", gpu: "Opening the GPU…", download: "Downloading the scene…",
      decode: "Decoding the scene…", objects: "Loading the objects…" }[stage] || "Loading…";
  }

  _showOverlay(text, bar = false) {
    this.overlay.classList.toggle("hidden", text === null);
    if (text !== null) this.messageEl.textContent = text;
    this.fillEl.parentElement.classList.toggle("hidden", !bar);
  }

  _fail(error, keepScene) {
    const message = error && error.message ? error.message.trim().split("\n").pop() : String(error);
    // Expected failures (bad files, no WebGPU) come back as messages; anything thrown
    // is a bug and goes to the console with its full Python traceback.
    if (!(error instanceof UserError)) console.error(error);
    if (keepScene) {
      this._showOverlay(null);
      this._toast(message);
    } else {
      this._showOverlay(message);
    }
    this.dispatchEvent(new CustomEvent("error", { detail: { message } }));
  }

  _toast(message) {
    let t = this.shadowRoot.querySelector(".toast");
    if (!t) {
      t = document.createElement("div");
      t.className = "toast";
      t.setAttribute("part", "error");
      t.style.cssText = "position:absolute;left:8px;right:8px;bottom:8px;padding:8px;" +
        "background:#5a1d1d;color:#fff;font:13px system-ui,sans-serif;border-radius:4px;";
      this.shadowRoot.appendChild(t);
    }
    t.textContent = message;
    clearTimeout(this._toastTimer);
    this._toastTimer = setTimeout(() => t.remove(), 8000);
  }

  // -- input ------------------------------------------------------------------------
  _controlsOn() {
    return (this.getAttribute("controls") || "orbit") !== "none";
  }

  _bindInput() {
    const c = this.canvas;
    c.addEventListener("contextmenu", (e) => e.preventDefault());
    c.addEventListener("pointerdown", (e) => {
      if (!this._controlsOn()) return;
      c.setPointerCapture(e.pointerId);
      this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY, button: e.button, shift: e.shiftKey });
      this.focus({ preventScroll: true });
    });
    const end = (e) => this.pointers.delete(e.pointerId);
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("pointermove", (e) => this._pointerMove(e));
    c.addEventListener("wheel", (e) => {
      if (!this._controlsOn()) return;
      e.preventDefault();
      this.orbit.dolly(Math.exp(e.deltaY * 0.001));
      this._redraw();
    }, { passive: false });
    this.addEventListener("keydown", (e) => this._key(e));
  }

  _pointerMove(e) {
    const p = this.pointers.get(e.pointerId);
    if (!p) return;
    const h = this.clientHeight || 1;
    if (this.pointers.size === 1) {
      const dx = e.clientX - p.x;
      const dy = e.clientY - p.y;
      if (p.button === 2 || p.button === 1 || p.shift) this.orbit.pan(dx, dy, h);
      else this.orbit.rotate((dx / h) * Math.PI, (dy / h) * Math.PI);
      p.x = e.clientX;
      p.y = e.clientY;
    } else if (this.pointers.size === 2) {
      const [a, b] = [...this.pointers.values()];
      const before = { d: Math.hypot(a.x - b.x, a.y - b.y), mx: (a.x + b.x) / 2, my: (a.y + b.y) / 2 };
      p.x = e.clientX;
      p.y = e.clientY;
      const after = { d: Math.hypot(a.x - b.x, a.y - b.y), mx: (a.x + b.x) / 2, my: (a.y + b.y) / 2 };
      if (before.d > 1 && after.d > 1) this.orbit.dolly(before.d / after.d);
      this.orbit.pan(after.mx - before.mx, after.my - before.my, h);
    } else {
      p.x = e.clientX;
      p.y = e.clientY;
      return;
    }
    this._redraw();
  }

  _key(e) {
    if (!this._controlsOn()) return;
    const step = 0.05;
    const h = this.clientHeight || 1;
    const k = e.key.toLowerCase();
    const actions = {
      arrowleft: () => this.orbit.rotate(-step, 0),
      arrowright: () => this.orbit.rotate(step, 0),
      arrowup: () => this.orbit.rotate(0, step),
      arrowdown: () => this.orbit.rotate(0, -step),
      w: () => this.orbit.move(1),
      s: () => this.orbit.move(-1),
      a: () => this.orbit.pan(20, 0, h),
      d: () => this.orbit.pan(-20, 0, h),
      q: () => this.orbit.pan(0, -20, h),
      e: () => this.orbit.pan(0, 20, h),
      "+": () => this.orbit.dolly(0.9),
      "=": () => this.orbit.dolly(0.9),
      "-": () => this.orbit.dolly(1.1),
      r: () => this.resetCamera(),
      u: () => this._setUp(e.shiftKey ? "next" : "flip"),
    };
    const act = actions[k];
    if (!act) return;
    e.preventDefault();
    act();
    this._redraw();
  }
}

/** <splat-object>: one object of its parent <splat-viewer>'s scene (attributes only). */
export class SplatObject extends HTMLElement {
  static get observedAttributes() {
    return ["src", "name", "up", "hidden", ...OBJECT_PLACEMENT];
  }

  attributeChangedCallback(name, old, value) {
    const viewer = this.parentElement;
    if (old !== value && viewer && viewer._childChanged) viewer._childChanged(this, name);
  }
}

if (!customElements.get("splat-viewer")) customElements.define("splat-viewer", SplatViewer);
if (!customElements.get("splat-object")) customElements.define("splat-object", SplatObject);
