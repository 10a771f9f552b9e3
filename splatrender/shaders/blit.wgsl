// Blit: draw the renderer's output (a storage buffer of packed rgba8 pixels, r in the
// low byte, row-major, top row first) onto a colour target with one fullscreen
// triangle. The target may differ in size from the source: each target pixel takes
// the nearest source pixel. Used by the window (desktop) and the canvas (browser).

struct BlitParams {
    src_size: vec2<u32>,  // renderer output width, height
    dst_size: vec2<u32>,  // target width, height
}

@group(0) @binding(0) var<storage, read> pixels: array<u32>;
@group(0) @binding(1) var<uniform> params: BlitParams;

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    // (-1,-1), (3,-1), (-1,3): covers the whole viewport.
    let uv = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn fs_main(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    let src = max(params.src_size, vec2<u32>(1u));
    let dst = max(params.dst_size, vec2<u32>(1u));
    // pos.xy is the pixel centre (x + 0.5, y + 0.5), y down: same order as the buffer.
    let p = vec2<u32>(floor(pos.xy * vec2<f32>(src) / vec2<f32>(dst)));
    let q = min(p, src - vec2<u32>(1u));
    return unpack4x8unorm(pixels[q.y * src.x + q.x]);
}
