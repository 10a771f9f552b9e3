// Binning: turn the depth-sorted visible list into splat-tile pairs.
//
// WGSL has no 64-bit integers, so instead of one sort by (tile << 32 | depth) we
// sort by depth first, emit pairs in depth order, and later sort the pairs by tile
// with a stable sort, which keeps depth order within each tile.
// Entry points: clamp_visible, count_tiles, clamp_pairs, emit_pairs, tile_ranges.

// #import frame
// #import dispatch

const WORKGROUP: u32 = 256u;

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var<storage, read_write> counters: array<u32>;
@group(0) @binding(2) var<storage, read> rects: array<u32>;
@group(0) @binding(3) var<storage, read> order: array<u32>;        // visible ids, front to back
@group(0) @binding(4) var<storage, read_write> offsets: array<u32>;  // tiles per splat -> pair offsets
@group(0) @binding(5) var<storage, read_write> pair_keys: array<u32>;
@group(0) @binding(6) var<storage, read_write> pair_vals: array<u32>;
@group(0) @binding(7) var<storage, read_write> ranges: array<u32>;  // per tile: start, end

fn rect_of(v: u32) -> vec4<u32> {
    let lo = rects[2u * v];
    let hi = rects[2u * v + 1u];
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
    let r = rect_of(order[k]);
    offsets[k] = (r.z - r.x) * (r.w - r.y);
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
    let r = rect_of(v);
    let cap = frame.caps.y;
    let tiles_x = frame.size.z;
    var p = offsets[k];
    for (var ty = r.y; ty < r.w; ty++) {
        for (var tx = r.x; tx < r.z; tx++) {
            if (p >= cap) {
                return;  // over capacity: the renderer grows its buffers and draws again
            }
            pair_keys[p] = ty * tiles_x + tx;
            pair_vals[p] = v;
            p++;
        }
    }
}

@compute @workgroup_size(WORKGROUP)
fn tile_ranges(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = linear_group(wid, nwg) * WORKGROUP + lid;
    let n = counters[COUNTER_PAIRS_EFF];
    if (i >= n) {
        return;
    }
    let t = pair_keys[i];
    if (i == 0u || pair_keys[i - 1u] != t) {
        ranges[2u * t] = i;
    }
    if (i + 1u == n || pair_keys[i + 1u] != t) {
        ranges[2u * t + 1u] = i + 1u;
    }
}
