// ExclusiveScan: in-place exclusive prefix sum of u32, reduce-then-scan, no spin waits.
//
// Level 0 is the caller's data; level k+1 holds the block sums of level k; the top level
// fits one block. `setup` derives every level's count and dispatch grid from the GPU-side
// count; then `reduce` runs up the levels, `scan_top` scans the top block in place, and
// `scan_add` runs down, scanning each block and adding its (already scanned) block sum.
//
// meta: one 256-byte record per level k at word k * META_STRIDE:
//   [count_k, grid.x, grid.y, grid.z]; the top record is [count, total].
// Each kernel binds its level's record as `rec`, so the same pipeline serves all levels.
//
// CPU adapters use the `*_serial` kernels: a block is BLOCK items owned by one thread,
// which walks them in order, and a workgroup runs WG blocks; no barriers, which cost a
// coroutine switch per SIMD group on SwiftShader.

// #import dispatch

const WG: u32 = 256u;
const ITEMS: u32 = 4u;  // items per thread
const BLOCK: u32 = 1024u;  // WG * ITEMS, items per workgroup
const LEVELS: u32 = 1u;  // reduce levels below the top (0: data is the top)
const META_STRIDE: u32 = 64u;
const MAX_DIM: u32 = 65535u;
const RAKE: u32 = 16u;  // WG = RAKE * RAKE
const SERIAL: bool = false;  // blocks of BLOCK items per thread (*_serial kernels)

struct SetupParams {
    count_word: u32,
    capacity: u32,  // clamp: min(capacity, data length)
}

struct TotalParams {
    total_word: u32,
}

// setup
@group(0) @binding(0) var<storage, read> count_src: array<u32>;
@group(0) @binding(1) var<storage, read_write> meta_out: array<u32>;
@group(0) @binding(2) var<uniform> setup_params: SetupParams;

// reduce / scan_add / emit_total (the level record, read-only: it is also the indirect args)
@group(0) @binding(0) var<storage, read> rec: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> sums_out: array<u32>;

@group(0) @binding(1) var<storage, read_write> data: array<u32>;
@group(0) @binding(2) var<storage, read> sums: array<u32>;

@group(0) @binding(1) var<storage, read_write> total_out: array<u32>;
@group(0) @binding(2) var<uniform> total_params: TotalParams;

// scan_top
@group(0) @binding(0) var<storage, read_write> top_rec: array<u32>;

var<workgroup> lane: array<u32, WG>;
var<workgroup> rake: array<u32, RAKE>;
var<workgroup> wg_total: u32;
var<workgroup> tile: array<u32, BLOCK>;

// Exclusive scan of one value per thread across the workgroup (raking: 3 barriers).
// The workgroup total is left in `wg_total`.
fn workgroup_exclusive(t: u32, v: u32) -> u32 {
    lane[t] = v;
    workgroupBarrier();
    if t < RAKE {
        var acc = 0u;
        for (var i = 0u; i < RAKE; i++) {
            let x = lane[t * RAKE + i];
            lane[t * RAKE + i] = acc;
            acc += x;
        }
        rake[t] = acc;
    }
    workgroupBarrier();
    if t == 0u {
        var acc = 0u;
        for (var i = 0u; i < RAKE; i++) {
            let x = rake[i];
            rake[i] = acc;
            acc += x;
        }
        wg_total = acc;
    }
    workgroupBarrier();
    return lane[t] + rake[t / RAKE];
}

@compute @workgroup_size(1)
fn setup() {
    var n = min(count_src[setup_params.count_word], setup_params.capacity);
    for (var k = 0u; k < LEVELS; k++) {
        let g = group_grid(n, select(BLOCK, BLOCK * WG, SERIAL), MAX_DIM);
        let w = k * META_STRIDE;
        meta_out[w] = n;
        meta_out[w + 1u] = g.x;
        meta_out[w + 2u] = g.y;
        meta_out[w + 3u] = g.z;
        n = div_ceil(n, BLOCK);
    }
    meta_out[LEVELS * META_STRIDE] = n;
    meta_out[LEVELS * META_STRIDE + 1u] = 0u;
}

// sums_out[g] = sum of block g of src. Strided loads: coalesced on GPUs, vector on CPUs.
@compute @workgroup_size(WG)
fn reduce(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let n = rec[0];
    let g = linear_group(wid, nwg);
    if g >= div_ceil(n, BLOCK) {
        return;
    }
    let first = g * BLOCK + t;
    var acc = 0u;
    for (var i = 0u; i < ITEMS; i++) {
        if first + i * WG < n {
            acc += src[first + i * WG];
        }
    }
    workgroup_exclusive(t, acc);
    if t == 0u {
        sums_out[g] = wg_total;
    }
}

// Exclusive scan of data[first .. first + BLOCK) (clipped to n) in place, plus `carry`.
// Loads and stores are strided (coalesced); the tile in workgroup memory lets each thread
// scan ITEMS consecutive items. Returns the block total (valid in every thread).
fn scan_block(t: u32, first: u32, n: u32, carry: u32) {
    for (var i = 0u; i < ITEMS; i++) {
        let idx = first + i * WG + t;
        var x = 0u;
        if idx < n {
            x = data[idx];
        }
        tile[i * WG + t] = x;
    }
    workgroupBarrier();
    var acc = 0u;
    for (var i = 0u; i < ITEMS; i++) {
        let x = tile[t * ITEMS + i];
        tile[t * ITEMS + i] = acc;
        acc += x;
    }
    let offset = workgroup_exclusive(t, acc) + carry;
    for (var i = 0u; i < ITEMS; i++) {
        tile[t * ITEMS + i] += offset;
    }
    workgroupBarrier();
    for (var i = 0u; i < ITEMS; i++) {
        let idx = first + i * WG + t;
        if idx < n {
            data[idx] = tile[i * WG + t];
        }
    }
}

// Block g of data: exclusive scan in place plus the scanned sum of earlier blocks.
@compute @workgroup_size(WG)
fn scan_add(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let n = rec[0];
    let g = linear_group(wid, nwg);
    if g >= div_ceil(n, BLOCK) {
        return;
    }
    scan_block(t, g * BLOCK, n, sums[g]);
}

// The top level: one workgroup scans its <= BLOCK items and records the grand total.
@compute @workgroup_size(WG)
fn scan_top(@builtin(local_invocation_index) t: u32) {
    scan_block(t, 0u, min(top_rec[0], BLOCK), 0u);
    if t == 0u {
        top_rec[1] = wg_total;
    }
}

// Copy the grand total to the caller's word.
@compute @workgroup_size(1)
fn emit_total() {
    total_out[total_params.total_word] = rec[1];
}

@compute @workgroup_size(WG)
fn reduce_serial(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let g = linear_group(wid, nwg) * WG + t;
    let items = block_items(g, BLOCK, rec[0]);
    if items.x >= items.y {
        return;
    }
    var acc = 0u;
    for (var i = items.x; i < items.y; i++) {
        acc += src[i];
    }
    sums_out[g] = acc;
}

fn scan_serial(first: u32, end: u32, carry: u32) -> u32 {
    var acc = carry;
    for (var i = first; i < end; i++) {
        let x = data[i];
        data[i] = acc;
        acc += x;
    }
    return acc;
}

@compute @workgroup_size(WG)
fn scan_add_serial(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let g = linear_group(wid, nwg) * WG + t;
    let items = block_items(g, BLOCK, rec[0]);
    if items.x < items.y {
        scan_serial(items.x, items.y, sums[g]);
    }
}

@compute @workgroup_size(1)
fn scan_top_serial() {
    top_rec[1] = scan_serial(0u, min(top_rec[0], BLOCK), 0u);
}
