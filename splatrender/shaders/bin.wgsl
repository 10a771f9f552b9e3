// Binning with the radix tile sort: turn the depth-sorted visible list into splat-tile
// pairs (GPUs; CPU adapters place them with tile_blocks.wgsl instead).
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

// #import bin_records

const RANGE_RUN: u32 = 1u;  // pairs per tile_ranges thread (Tuning.range_run)
const NO_TILE: u32 = 0xffffffffu;

@group(0) @binding(2) var<storage, read> rects: array<u32>;
@group(0) @binding(5) var<storage, read_write> pair_keys: array<u32>;

@compute @workgroup_size(1)
fn clamp_visible() {
    counters[COUNTER_VISIBLE_EFF] = min(counters[COUNTER_VISIBLE], frame.caps.x);
}

@compute @workgroup_size(1)
fn clamp_pairs() {
    counters[COUNTER_PAIRS_EFF] = min(counters[COUNTER_PAIRS], frame.caps.y);
    counters[COUNTER_TILES] = tiles_total();
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
    if (keeps_mask(r)) {
        var mask = depth_rects[RECT_WORDS * k + RECT_MASK];
        let m = mask_tiles(r, tiles_x);
        while (mask != 0u) {
            let i = firstTrailingBit(mask);
            mask &= mask - 1u;
            if (p >= cap) {
                return;  // over capacity: the renderer grows its buffers and draws again
            }
            pair_keys[p] = mask_tile(m, i);
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
