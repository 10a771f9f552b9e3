// PlayCanvas 2.23 (WebGPU or WebGL2, ?device=webgpu|webgl2): load, then answer the bench protocol.
import * as pc from "/node_modules/playcanvas/build/playcanvas.mjs";
import { SortSignal, nextFrame, params, report } from "./common.js";

const { src, width, height, device: deviceType } = params();
const sorts = new SortSignal();
let app, cameraEntity, gdev;

function setView(v) {
  cameraEntity.camera.fov = v.fov;
  cameraEntity.camera.nearClip = v.near;
  cameraEntity.setPosition(...v.eye);
  cameraEntity.lookAt(new pc.Vec3(...v.target), new pc.Vec3(...v.up));
}

// Resolves once the GPU has finished the work submitted so far.
async function gpuDone() {
  if (gdev.isWebGPU) {
    await gdev.wgpu.queue.onSubmittedWorkDone();
  } else {
    const gl = gdev.gl;
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
  }
}

const frameEnd = () => new Promise((res) => app.once("frameend", res));

// On WebGPU PlayCanvas 2.23 sorts on the GPU inside every frame (its AUTO renderer is
// RASTER_GPU_SORT there); on WebGL2 a worker sorts and signals "gsplat:sorted".
async function step(v) {
  const t0 = performance.now();
  if (gdev.isWebGPU) {
    setView(v);
    await frameEnd();
    await gpuDone();
    return { ms: performance.now() - t0, sortSignal: true };
  }
  const wait = sorts.wait();
  setView(v); // the app's own loop renders; its sorter worker gets the new camera
  const signalled = await wait;
  const t1 = performance.now();
  await frameEnd(); // the next frame draws the new order
  await gpuDone();
  const t2 = performance.now();
  return { ms: t2 - t0, untilSorted: t1 - t0, draw: t2 - t1, sortSignal: signalled };
}

async function continuous(views) {
  const deltas = [];
  await frameEnd();
  let last = performance.now();
  for (const v of views) {
    setView(v);
    await frameEnd();
    await gpuDone();
    const now = performance.now();
    deltas.push(now - last);
    last = now;
  }
  return deltas;
}

async function start() {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.style.width = width + "px";
  canvas.style.height = height + "px";
  document.body.appendChild(canvas);
  const types = deviceType === "webgl2" ? [pc.DEVICETYPE_WEBGL2] : [pc.DEVICETYPE_WEBGPU];
  gdev = await pc.createGraphicsDevice(canvas, { deviceTypes: types, antialias: false });
  gdev.maxPixelRatio = 1;
  const opts = new pc.AppOptions();
  opts.graphicsDevice = gdev;
  opts.componentSystems = [pc.CameraComponentSystem, pc.GSplatComponentSystem];
  opts.resourceHandlers = [pc.GSplatHandler];
  app = new pc.AppBase(canvas);
  app.init(opts);
  app.setCanvasFillMode(pc.FILLMODE_NONE);
  app.setCanvasResolution(pc.RESOLUTION_FIXED, width, height);
  app.scene.on("gsplat:sorted", () => sorts.fire());
  cameraEntity = new pc.Entity("camera");
  cameraEntity.addComponent("camera", { clearColor: new pc.Color(0, 0, 0), farClip: 1e6 });
  app.root.addChild(cameraEntity);
  const asset = new pc.Asset("scene", "gsplat", { url: src });
  app.assets.add(asset);
  await new Promise((res, rej) => {
    asset.once("load", res);
    asset.once("error", rej);
    app.assets.load(asset);
  });
  const entity = new pc.Entity("splats");
  entity.addComponent("gsplat", { asset });
  app.root.addChild(entity);
  app.start();
  await frameEnd();
  return {
    splats: asset.resource?.numSplats ?? asset.resource?.gsplatData?.numSplats ?? 0,
    renderer: "playcanvas " + pc.version,
    adapter: gdev.isWebGPU ? "webgpu" : gdev.gl.getParameter(gdev.gl.RENDERER),
    api: gdev.isWebGPU ? "webgpu" : "webgl2",
  };
}

window.bench = { ready: start().catch((e) => { report(e); throw e; }), step, continuous };
