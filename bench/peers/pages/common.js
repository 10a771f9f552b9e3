// Shared by the peer pages: the bench protocol the Python driver calls.
//
//   window.bench.ready       -> Promise of {splats, renderer, adapter}
//   window.bench.step(view)  -> Promise of {ms, untilSorted, draw, sortSignal}
//     moves the camera to view = {eye, target, up, fov} and resolves once a frame
//     drawn with a sort made for that view has finished on the GPU
//   window.bench.continuous(views) -> Promise of rAF deltas (ms), one view per frame
//     (the sort may lag behind the camera: this is what an orbiting user sees)

export function params() {
  const p = new URLSearchParams(location.search);
  return { src: p.get("src"), width: Number(p.get("w")) || 640, height: Number(p.get("h")) || 360,
           device: p.get("device") || "" };
}

export const nextFrame = () => new Promise((res) => requestAnimationFrame(res));

// A counter of sort-complete signals; waitSorted resolves after the next one
// (or after `timeoutMs`, with sortSignal=false, for peers that never signal).
export class SortSignal {
  constructor() { this.count = 0; this.waiters = []; }
  fire() { this.count++; const w = this.waiters; this.waiters = []; w.forEach((f) => f(true)); }
  wait(timeoutMs = 15000) {
    return new Promise((res) => {
      this.waiters.push(res);
      setTimeout(() => res(false), timeoutMs);
    });
  }
}

export function report(err) {
  window.benchError = String(err && err.stack || err);
  console.error("bench page error", err);
}
