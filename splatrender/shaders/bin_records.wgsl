// The depth-ordered visible splats as the binning passes read them: the bindings and
// accessors bin.wgsl (radix tile sort) and tile_blocks.wgsl (counting tile sort) share.

// #import layout
// #import dispatch
// #import tile_touch

const TILE_SIZE: u32 = 16u;

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var<storage, read_write> counters: array<u32>;
@group(0) @binding(3) var<storage, read> order: array<u32>;        // visible ids, front to back
@group(0) @binding(4) var<storage, read_write> offsets: array<u32>;  // tiles per splat -> pair offsets
@group(0) @binding(6) var<storage, read_write> pair_vals: array<u32>;
@group(0) @binding(7) var<storage, read_write> ranges: array<u32>;  // per tile: start, end
@group(0) @binding(8) var<storage, read> projected: array<f32>;
@group(0) @binding(9) var<storage, read_write> depth_rects: array<u32>;  // rects, depth order

fn tiles_total() -> u32 {
    return frame.size.z * frame.size.w;
}

fn ellipse_of(v: u32) -> Ellipse {
    let o = v * PROJ_FLOATS;
    let c = o + PROJ_CONIC;
    return ellipse(
        vec2<f32>(projected[o + PROJ_XY], projected[o + PROJ_XY + 1u]),
        vec3<f32>(projected[c], projected[c + 1u], projected[c + 2u]),
        2.0 * log(max(projected[o + PROJ_OPACITY] * 255.0, 1.0)),
    );
}

// The tile rect (xmin, ymin, xmax, ymax) of the k-th splat in depth order.
fn rect_of(k: u32) -> vec4<u32> {
    let lo = depth_rects[RECT_WORDS * k + RECT_LO];
    let hi = depth_rects[RECT_WORDS * k + RECT_HI];
    return vec4<u32>(lo & 0xffffu, lo >> 16u, hi & 0xffffu, hi >> 16u);
}

// A small rect's mask bit -> its tile, without an integer division (x86 has no SIMD
// one, so llvmpipe divides lane by lane): bit i is row i / w, and for i, w <= 32,
// (i + 0.5) / w lies at least 1/64 from an integer, far beyond f32 rounding.
struct MaskTiles {
    first: u32,  // tile of bit 0
    w: u32,
    rcp_w: f32,
    tiles_x: u32,
}

fn mask_tiles(r: vec4<u32>, tiles_x: u32) -> MaskTiles {
    let w = r.z - r.x;
    return MaskTiles(r.y * tiles_x + r.x, w, 1.0 / f32(w), tiles_x);
}

fn mask_tile(m: MaskTiles, i: u32) -> u32 {
    let y = u32((f32(i) + 0.5) * m.rcp_w);
    return m.first + y * m.tiles_x + i - y * m.w;
}
