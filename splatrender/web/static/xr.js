// WebXR for <splat-viewer> (imported by splat-viewer.js): immersive-vr and immersive-ar
// sessions, the Enter VR / Enter AR buttons, and the stereo frame loop.
//
// UNTESTED ON HEADSETS: this is tested only against a mock XR runtime in headless
// Chromium (tests/web/test_xr.py). See docs/web.md, "WebXR".
//
// The renderer is WebGPU compute; an XR session presents through an XRWebGLLayer. Each
// eye is drawn by splatrender (ViewerApp.render_eye) onto a hidden WebGPU canvas of the
// eye's viewport size, uploaded into a WebGL texture (texImage2D of that canvas) and
// drawn into the eye's viewport of the layer's framebuffer. Python is asynchronous, and
// an XR frame must be drawn before its callback returns, so the loop is pipelined: each
// XR frame draws the eye textures finished so far and, unless a render is under way,
// starts rendering the eyes for this frame's pose (the images shown lag the pose by the
// time one stereo render takes). Per XR frame the LOD cut is chosen once, for the centre
// of the eyes (ViewerApp.xr_view), and both eyes draw it: the splat budget is per eye.

const VERTEX = `#version 300 es
out vec2 uv;
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  uv = vec2(p.x, 1.0 - p.y);  // the texture's row 0 is the image's top row
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;
const FRAGMENT = `#version 300 es
precision mediump float;
uniform sampler2D image;
uniform float alphaFromColor;
in vec2 uv;
out vec4 color;
void main() {
  vec4 c = texture(image, uv);
  // AR: the splats over black, black see-through (premultiplied; coverage approximated)
  color = vec4(c.rgb, mix(1.0, max(c.r, max(c.g, c.b)), alphaFromColor));
}`;

export const XR_MODES = { vr: "immersive-vr", ar: "immersive-ar" };

/** Which immersive modes this browser can start: {vr, ar} (false without navigator.xr). */
export async function xrSupported() {
  // In a frame without allow="xr-spatial-tracking" asking at all logs a policy violation.
  const policy = document.permissionsPolicy || document.featurePolicy;
  const allowed = !policy || policy.allowsFeature("xr-spatial-tracking");
  const xr = allowed ? navigator.xr : null;
  const ask = async (mode) => {
    try {
      return Boolean(xr && (await xr.isSessionSupported(mode)));
    } catch (e) {
      return false; // e.g. blocked by a permissions policy
    }
  };
  return { vr: await ask(XR_MODES.vr), ar: await ask(XR_MODES.ar) };
}

const BUTTON_STYLE = `
.xr-buttons { position: absolute; right: 8px; bottom: 8px; display: flex; gap: 6px; }
.xr-buttons button { font: 13px system-ui, sans-serif; color: #fff; background: #2a2a2acc;
  border: 1px solid #888; border-radius: 4px; padding: 6px 10px; cursor: pointer; }
.xr-buttons button:hover { background: #444c; }
`;

/** One viewer's XR state: its buttons, the session, the GL side and the frame loop. */
export class XRController {
  constructor(viewer) {
    this.viewer = viewer;
    this.session = null;
    this.mode = null;
    this._buttons = null;
    this._rendering = null; // the stereo render under way (a promise)
    this._eyes = []; // [{tex, width, height}] finished eye images
    this.frames = 0; // XR frames drawn (tests)
  }

  get active() {
    return this.session !== null;
  }

  /** Add the (hidden) buttons to the viewer's shadow root. */
  mount(root) {
    const style = document.createElement("style");
    style.textContent = BUTTON_STYLE;
    const box = document.createElement("div");
    box.className = "xr-buttons";
    box.setAttribute("part", "xr-buttons");
    for (const [key, mode] of Object.entries(XR_MODES)) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `xr-${key}`;
      b.setAttribute("part", `xr-button xr-${key}`);
      b.textContent = `Enter ${key.toUpperCase()}`;
      b.hidden = true;
      b.addEventListener("click", (e) => {
        e.stopPropagation();
        if (this.active) this.exit();
        else this.viewer.enterXR(mode).catch(() => {}); // reported through the error event
      });
      box.appendChild(b);
    }
    root.append(style, box);
    this._buttons = box;
  }

  /** Show a button per supported mode the `xr` attribute allows ("none" hides them). */
  async refreshButtons() {
    if (!this._buttons) return;
    const button = (key) => this._buttons.querySelector(`.xr-${key}`);
    for (const key of Object.keys(XR_MODES)) {
      const exit = this.active && this.mode === XR_MODES[key];
      button(key).textContent = `${exit ? "Exit" : "Enter"} ${key.toUpperCase()}`;
    }
    const attr = (this.viewer.getAttribute("xr") || "auto").trim().toLowerCase();
    const supported = attr === "none" ? { vr: false, ar: false } : await xrSupported();
    for (const key of Object.keys(XR_MODES)) {
      button(key).hidden = !(supported[key] && (attr === "auto" || attr === key) && this.viewer.info);
    }
  }

  /** Start a session: the GL layer, the reference space, the frame loop. */
  async enter(mode) {
    if (!Object.values(XR_MODES).includes(mode)) throw new Error(`XR mode must be immersive-vr or immersive-ar, got ${mode}`);
    if (this.active) throw new Error("an XR session is already running");
    if (!navigator.xr) throw new Error("this browser has no WebXR");
    const v = this.viewer;
    if (!v.info) throw new Error("enter XR after a scene has loaded");
    // First, while the click's user activation holds (immersive sessions need one).
    const session = await navigator.xr.requestSession(mode, { optionalFeatures: ["local-floor"] });
    try {
      await v.drawn(); // the page's own frame is finished: XR takes the renderer
      let space;
      let floor = true;
      try {
        space = await session.requestReferenceSpace("local-floor");
      } catch (e) {
        space = await session.requestReferenceSpace("local");
        floor = false;
      }
      if (!this.gl) this._initGL();
      const layer = new XRWebGLLayer(session, this.gl, { antialias: false, alpha: mode === XR_MODES.ar });
      session.updateRenderState({ baseLayer: layer });
      const scale = Number(v.getAttribute("xr-scale")) || 0;
      const r = JSON.parse(v.app.xr_start(this.gpuCanvas, JSON.stringify({ scale, floor })));
      if (r.error) throw new Error(r.error);
      this.placement = r;
      this.space = space;
    } catch (e) {
      await session.end().catch(() => {});
      throw e;
    }
    this.session = session;
    this.mode = mode;
    this._eyes = [];
    this.frames = 0;
    session.addEventListener("end", () => this._ended(session));
    session.requestAnimationFrame((t, f) => this._frame(t, f));
    this.refreshButtons();
    return session;
  }

  async exit() {
    if (this.session) await this.session.end();
  }

  _ended(session) {
    if (session !== this.session) return;
    this.session = null;
    this.mode = null;
    const v = this.viewer;
    const after = () => {
      v.app.xr_end();
      v._redraw();
      this.refreshButtons();
      v.dispatchEvent(new CustomEvent("xrend"));
    };
    if (this._rendering) this._rendering.then(after, after);
    else after();
  }

  _initGL() {
    this.gpuCanvas = document.createElement("canvas"); // splatrender draws an eye here
    this.glCanvas = document.createElement("canvas");
    const gl = this.glCanvas.getContext("webgl2", { xrCompatible: true, antialias: false, alpha: true });
    if (!gl) throw new Error("WebXR needs WebGL2, which this browser does not give");
    this.gl = gl;
    const shader = (type, src) => {
      const s = gl.createShader(type);
      gl.shaderSource(s, src);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
      return s;
    };
    const prog = gl.createProgram();
    gl.attachShader(prog, shader(gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(prog, shader(gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(prog);
    if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(prog));
    this.program = prog;
    this.alphaLoc = gl.getUniformLocation(prog, "alphaFromColor");
    this.vao = gl.createVertexArray();
  }

  _texture(i) {
    const gl = this.gl;
    if (!this._eyes[i]) {
      const tex = gl.createTexture();
      gl.bindTexture(gl.TEXTURE_2D, tex);
      for (const p of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_2D, p, gl.NEAREST);
      for (const p of [gl.TEXTURE_WRAP_S, gl.TEXTURE_WRAP_T]) gl.texParameteri(gl.TEXTURE_2D, p, gl.CLAMP_TO_EDGE);
      this._eyes[i] = { tex, width: 0, height: 0, ready: false };
    }
    return this._eyes[i];
  }

  /** One XR frame: draw the eyes finished so far; start rendering this pose's. */
  _frame(time, frame) {
    const session = frame.session || this.session;
    if (session !== this.session) return;
    session.requestAnimationFrame((t, f) => this._frame(t, f));
    const pose = frame.getViewerPose(this.space);
    if (!pose) return;
    const layer = session.renderState.baseLayer;
    const gl = this.gl;
    gl.bindFramebuffer(gl.FRAMEBUFFER, layer.framebuffer);
    const ar = this.mode === XR_MODES.ar;
    const bg = ar ? [0, 0, 0] : this.placement.background;
    gl.disable(gl.SCISSOR_TEST);
    gl.clearColor(bg[0], bg[1], bg[2], ar ? 0 : 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    const views = [];
    pose.views.forEach((view, i) => {
      const vp = layer.getViewport(view);
      views.push({
        view: Array.from(view.transform.inverse.matrix),
        projection: Array.from(view.projectionMatrix),
        width: vp.width,
        height: vp.height,
      });
      const eye = this._eyes[i];
      if (!eye || !eye.ready) return;
      gl.viewport(vp.x, vp.y, vp.width, vp.height);
      gl.useProgram(this.program);
      gl.bindVertexArray(this.vao);
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, eye.tex);
      gl.uniform1f(this.alphaLoc, ar ? 1 : 0);
      gl.drawArrays(gl.TRIANGLES, 0, 3);
    });
    this.frames += 1;
    if (!this._rendering) {
      this._rendering = this._renderEyes(views).finally(() => {
        this._rendering = null;
      });
    }
  }

  /** Render every eye of one pose (one LOD cut) and upload each into its texture. */
  async _renderEyes(views) {
    const v = this.viewer;
    try {
      const sel = JSON.parse(await v.app.xr_view(JSON.stringify({ views })));
      if (sel.error) throw new Error(sel.error);
      const gl = this.gl;
      const visible = [];
      for (const [i, view] of views.entries()) {
        const r = JSON.parse(await v.app.render_eye(i, view.width, view.height));
        if (r.error) throw new Error(r.error);
        visible.push(r.visible);
        const eye = this._texture(i);
        gl.bindTexture(gl.TEXTURE_2D, eye.tex);
        gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
        gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, this.gpuCanvas);
        Object.assign(eye, { width: view.width, height: view.height, ready: true });
      }
      // one LOD cut (drawn splats, streaming) for every eye; splats each eye drew
      v.dispatchEvent(new CustomEvent("xrframe", { detail: { ...sel, visible } }));
    } catch (e) {
      v._fail(e, true);
      this.exit();
    }
  }

  /** Resolves once the stereo render under way (if any) has reached the eye textures. */
  rendered() {
    return this._rendering || Promise.resolve();
  }
}
