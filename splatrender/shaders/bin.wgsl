// Binning: turn the depth-sorted visible list into splat-tile pairs.
//
// WGSL has no 64-bit integers, so instead of one sort by (tile << 32 | depth) we
// sort by depth first, emit pairs in depth order, and later sort the pairs by tile
// with a stable sort, which keeps depth order within each tile.
// A splat's rect is the box of its ellipse where alpha can reach 1/255; tiles of the
// rect that the ellipse itself misses (corners of a tilted one) are left out, which
// leaves the image as it is (every pixel there skips the splat) and spares the sort
// and the rasterizer their pairs.
// The projection has already counted each splat's touched tiles and, for a small rect,
// kept them as a bit mask (`rects`, layout.RECT). count_tiles gathers the counts into
// depth order, and the rect records with them (`depth_rects`, so that emit_pairs reads
// them in order: a random read of each record in both passes cost lavapipe 6 ms more
// at 1M splats); emit_pairs walks the mask; only large rects find their tiles again
// (tile_touch.wgsl row_span).
// Entry points: clamp_visible, count_tiles, clamp_pairs, emit_pairs, tile_ranges.

// #import layout
// #import dispatch
// #import tile_touch

const TILE_SIZE: u32 = 16u;
const RANGE_RUN: u32 = 1u;  // pairs per tile_ranges thread (Tuning.range_run)
const NO_TILE: u32 = 0xffffffffu;

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var<storage, read_write> counters: array<u32>;
@group(0) @binding(2) var<storage, read> rects: array<u32>;
@group(0) @binding(3) var<storage, read> order: array<u32>;        // visible ids, front to back
@group(0) @binding(4) var<storage, read_write> offsets: array<u32>;  // tiles per splat -> pair offsets
@group(0) @binding(5) var<storage, read_write> pair_keys: array<u32>;
@group(0) @binding(6) var<storage, read_write> pair_vals: array<u32>;
@group(0) @binding(7) var<storage, read_write> ranges: array<u32>;  // per tile: start, end
@group(0) @binding(8) var<storage, read> projected: array<f32>;
@group(0) @binding(9) var<storage, read_write> depth_rects: array<u32>;  // rects, depth order

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

@compute @workgroup_size(1)
fn clamp_visible() {
    counters[COUNTER_VISIBLE_EFF] = min(counters[COUNTER_VISIBLE], frame.caps.x);
}

@compute @workgroup_size(1)
fn clamp_pairs() {
    counters[COUNTER_PAIRS_EFF] = min(counters[COUNTER_PAIRS], frame.caps.y);
}

@compute @workgroup_size(WORKGROUP)
fn count_tiles(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = linear_group(wid, nwg) * WORKGROUP + lid;
    if (k >= counters[COUNTER_VISIBLE_EFF]) {
        return;
    }
    let at = RECT_WORDS * order[k];
    offsets[k] = rects[at + RECT_COUNT];
    let to = RECT_WORDS * k;
    depth_rects[to + RECT_LO] = rects[at + RECT_LO];
    depth_rects[to + RECT_HI] = rects[at + RECT_HI];
    depth_rects[to + RECT_MASK] = rects[at + RECT_MASK];
}

@compute @workgroup_size(WORKGROUP)
fn emit_pairs(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let k = linear_group(wid, nwg) * WORKGROUP + lid;
    if (k >= counters[COUNTER_VISIBLE_EFF]) {
        return;
    }
    let v = order[k];
    let r = rect_of(k);
    let cap = frame.caps.y;
    let tiles_x = frame.size.z;
    var p = offsets[k];
    let w = r.z - r.x;
    if (keeps_mask(r)) {
        var mask = depth_rects[RECT_WORDS * k + RECT_MASK];
        while (mask != 0u) {
            let i = firstTrailingBit(mask);
            mask &= mask - 1u;
            if (p >= cap) {
                return;  // over capacity: the renderer grows its buffers and draws again
            }
            pair_keys[p] = (r.y + i / w) * tiles_x + r.x + i % w;
            pair_vals[p] = v;
            p++;
        }
        return;
    }
    let e = ellipse_of(v);
    for (var ty = r.y; ty < r.w; ty++) {
        let s = row_span(e, ty, r, TILE_SIZE);
        for (var tx = s.x; tx < s.y; tx++) {
            if (p >= cap) {
                return;  // over capacity: the renderer grows its buffers and draws again
            }
            pair_keys[p] = ty * tiles_x + tx;
            pair_vals[p] = v;
            p++;
        }
    }
}

// Each thread takes RANGE_RUN consecutive pairs in order, so each key is read once (and
// one before the run) rather than three times: on CPU adapters every storage read is a
// loop over the lanes. GPUs keep 1 (coalesced reads).
@compute @workgroup_size(WORKGROUP)
fn tile_ranges(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let first = (linear_group(wid, nwg) * WORKGROUP + lid) * RANGE_RUN;
    let n = counters[COUNTER_PAIRS_EFF];
    if (first >= n) {
        return;
    }
    let last = min(first + RANGE_RUN, n);
    var prev = NO_TILE;  // the run starts the list
    if (first > 0u) {
        prev = pair_keys[first - 1u];
    }
    for (var i = first; i < last; i++) {
        let t = pair_keys[i];
        if (t != prev) {
            ranges[2u * t] = i;
            if (prev != NO_TILE) {
                ranges[2u * prev + 1u] = i;
            }
        }
        prev = t;
    }
    if (last == n) {
        ranges[2u * prev + 1u] = n;
    }
}
