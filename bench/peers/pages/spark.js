// Spark 2.2 (three.js, WebGL2): load a scene, then answer the bench protocol.
import * as THREE from "three";
import { SparkRenderer, SplatMesh } from "@sparkjsdev/spark";
import { SortSignal, nextFrame, params, report } from "./common.js";

const { src, width, height } = params();
const sorts = new SortSignal();
const renderer = new THREE.WebGLRenderer({ antialias: false, preserveDrawingBuffer: true });
renderer.setPixelRatio(1);
renderer.setSize(width, height);
document.body.appendChild(renderer.domElement);
const scene = new THREE.Scene();
const camera = new THREE.PerspectiveCamera(50, width / height, 0.01, 1e6);
// onDirty: "sort order or LoD updates complete" (Spark's sort runs in a worker).
const spark = new SparkRenderer({ renderer, onDirty: () => sorts.fire() });
scene.add(spark);
const gl = renderer.getContext();
const pixel = new Uint8Array(4);

function setView(v) {
  camera.fov = v.fov;
  camera.near = v.near;
  camera.updateProjectionMatrix();
  camera.position.set(...v.eye);
  camera.up.set(...v.up);
  camera.lookAt(...v.target);
  camera.updateMatrixWorld();
}

function drawAndFinish() {
  renderer.render(scene, camera);
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel); // waits for the GPU
}

// Resolves true after `n` more sort-complete signals, rendering again only when none
// arrives for a second (Spark retries deferred sorts itself; rendering every rAF
// would steal the CPU its sort worker needs).
async function untilSorts(n, timeoutMs = 15000) {
  const target = sorts.count + n;
  const start = performance.now();
  while (sorts.count < target) {
    if (performance.now() - start > timeoutMs) return false;
    renderer.render(scene, camera);
    await sorts.wait(5000);
  }
  return true;
}

async function step(v) {
  const t0 = performance.now();
  setView(v);
  // A sort already running was started for the old view: wait for the one after it.
  const signalled = await untilSorts(spark.sorting ? 2 : 1);
  const t1 = performance.now();
  drawAndFinish();
  const t2 = performance.now();
  await nextFrame();
  return { ms: t2 - t0, untilSorted: t1 - t0, draw: t2 - t1, sortSignal: signalled };
}

async function continuous(views) {
  const deltas = [];
  let last = performance.now();
  for (const v of views) {
    await nextFrame();
    setView(v);
    drawAndFinish();
    const now = performance.now();
    deltas.push(now - last);
    last = now;
  }
  return deltas;
}

async function start() {
  const mesh = new SplatMesh({ url: src });
  scene.add(mesh);
  await mesh.initialized;
  const info = {
    splats: mesh.packedSplats ? mesh.packedSplats.numSplats : mesh.numSplats,
    renderer: "spark " + (window.SPARK_VERSION || ""),
    adapter: gl.getParameter(gl.getExtension("WEBGL_debug_renderer_info")?.UNMASKED_RENDERER_WEBGL ?? gl.RENDERER),
    api: "webgl2",
  };
  return info;
}

window.bench = { ready: start().catch((e) => { report(e); throw e; }), step, continuous };
