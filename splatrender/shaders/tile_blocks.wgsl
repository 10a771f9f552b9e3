// The counting tile sort of CPU adapters: splat-tile pairs go straight to their place in
// tile order, never written unsorted and never moved by a radix sort.
//
// The pairs, numbered in depth order (bin.wgsl count_tiles and the scan give each splat
// its first pair), are cut into blocks of BLOCK_PAIRS; one thread owns a block and
// walks its pairs in order, so depth order holds within each tile (what the radix
// sort's stability gives bin.wgsl). Per block and tile, a table word:
//   block_histogram  counts the block's pairs of each tile          table[g][t] = count
//   tile_totals      sums a tile's counts over the blocks            tile_counts[t]
//   (ExclusiveScan of tile_counts: each tile's first pair)
//   tile_offsets     the tile's range, and each block's first slot   table[g][t] = slot
//   block_emit       walks again, placing each pair at its slot and advancing it
// 2.4M pairs at 1280x720 (8 px tiles) make 147 blocks x 14400 tiles: 2.1M table words.
// Random stores into the table and the pairs cost what the radix sort's streams do not,
// but the pairs skip emit_pairs' writes and both radix passes' reads and writes.
//
// llvmpipe ends an invocation's loops after 65535 iterations in all, counted for its SIMD
// lanes together (a lane on a splat of many tiles holds the others in its loop). A block
// is therefore walked in chunks of `walk.y` pairs, one dispatch per chunk, in order; a
// walk the limit ended raises COUNTER_WALK_CUT, and the renderer draws the frame again
// with chunks half as long (render/tile_blocks.py).

// #import bin_records

const BLOCK_PAIRS: u32 = 16384u;  // Tuning.tile_block_pairs
const BLOCK_WG: u32 = 8u;  // threads per workgroup of the block kernels

@group(0) @binding(10) var<storage, read_write> table: array<u32>;  // [block][tile]
@group(0) @binding(11) var<storage, read_write> tile_counts: array<u32>;  // -> first pairs
@group(0) @binding(12) var<uniform> walk: vec4<u32>;  // chunk index, pairs per chunk

// Chunk walk.x of block g: its pairs in order, with the tiles of the splats holding
// them. count: table[g][tile] += 1 per pair; else each pair goes to table[g][tile],
// which advances.
fn walk_block(g: u32, count: bool) {
    let n = counters[COUNTER_PAIRS_EFF];
    let a = g * BLOCK_PAIRS + walk.x * walk.y;
    if (a >= n) {
        return;
    }
    let b = min(min(n, (g + 1u) * BLOCK_PAIRS), a + walk.y);
    let row = g * tiles_total();
    let tiles_x = frame.size.z;
    // the last splat whose pairs start at or before a; splats that touch no tile sort
    // after all others (project.wgsl), so the walk never steps over one
    var lo = 0u;
    var hi = counters[COUNTER_VISIBLE_EFF];
    while (hi - lo > 1u) {
        let mid = (lo + hi) / 2u;
        if (offsets[mid] <= a) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    var k = lo;
    var p = offsets[k];
    // Loops are do-whiles where they can be: llvmpipe counts the test of a while that
    // runs no iteration as one. Every splat here has a pair in [p, b): zero-tile splats
    // sort last, and the first splat holds pair a.
    loop {
        let v = order[k];
        let r = rect_of(k);
        if (keeps_mask(r)) {
            var mask = depth_rects[RECT_WORDS * k + RECT_MASK];
            if (p < a) {
                for (; p < a; p++) {
                    mask &= mask - 1u;
                }
            }
            let m = mask_tiles(r, tiles_x);
            loop {  // two pairs per iteration: half the iterations llvmpipe counts
                place(row + mask_tile(m, firstTrailingBit(mask)), v, count);
                mask &= mask - 1u;
                p++;
                if (mask == 0u || p >= b) {
                    break;
                }
                place(row + mask_tile(m, firstTrailingBit(mask)), v, count);
                mask &= mask - 1u;
                p++;
                if (mask == 0u || p >= b) {
                    break;
                }
            }
        } else {
            let e = ellipse_of(v);
            for (var ty = r.y; ty < r.w && p < b; ty++) {
                let s = row_span(e, ty, r, TILE_SIZE);
                var tx = s.x;
                if (p < a && s.y > s.x) {
                    let skip = min(a - p, s.y - s.x);
                    tx += skip;
                    p += skip;
                }
                for (; tx < s.y && p < b; tx++) {
                    place(row + ty * tiles_x + tx, v, count);
                    p++;
                }
            }
        }
        k++;
        if (p >= b) {
            break;
        }
    }
    if (p < b) {
        counters[COUNTER_WALK_CUT] = 1u;  // the loop limit ended this walk
    }
}

fn place(cell: u32, v: u32, count: bool) {
    if (count) {
        table[cell] += 1u;
    } else {
        let slot = table[cell];
        table[cell] = slot + 1u;
        pair_vals[slot] = v;
    }
}

fn blocks() -> u32 {
    return div_ceil(counters[COUNTER_PAIRS_EFF], BLOCK_PAIRS);
}

@compute @workgroup_size(BLOCK_WG)
fn block_histogram(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    walk_block(linear_group(wid, nwg) * BLOCK_WG + lid, true);
}

@compute @workgroup_size(WORKGROUP)
fn tile_totals(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let t = linear_group(wid, nwg) * WORKGROUP + lid;
    let tiles = tiles_total();
    if (t >= tiles) {
        return;
    }
    let nb = blocks();
    var sum = 0u;
    for (var g = 0u; g < nb; g++) {
        sum += table[g * tiles + t];
    }
    tile_counts[t] = sum;
}

// After the scan of tile_counts: tile t's [start, end) ((0, 0) for none, as bin.wgsl
// tile_ranges leaves it), and each block's first slot in it.
@compute @workgroup_size(WORKGROUP)
fn tile_offsets(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let t = linear_group(wid, nwg) * WORKGROUP + lid;
    let tiles = tiles_total();
    if (t >= tiles) {
        return;
    }
    var slot = tile_counts[t];
    var end = counters[COUNTER_PAIRS_EFF];
    if (t + 1u < tiles) {
        end = tile_counts[t + 1u];
    }
    if (end > slot) {
        ranges[2u * t] = slot;
        ranges[2u * t + 1u] = end;
    }
    let nb = blocks();
    for (var g = 0u; g < nb; g++) {
        let cell = g * tiles + t;
        let c = table[cell];
        table[cell] = slot;
        slot += c;
    }
}

@compute @workgroup_size(BLOCK_WG)
fn block_emit(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    walk_block(linear_group(wid, nwg) * BLOCK_WG + lid, false);
}
