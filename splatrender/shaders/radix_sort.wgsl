// RadixSort: stable LSD radix sort of u32 keys with u32 values, reduce-then-scan.
//
// Per digit pass: `histogram` counts each block's digits into a digit-major table
// table[digit * num_blocks + block]; ExclusiveScan (scan.wgsl) turns the table into
// global output offsets; `scatter` re-reads the block and writes every key to its offset
// plus its stable rank inside the block. No cross-workgroup waits anywhere.
//
// Stable local ranking, per chunk of WG keys: each thread sets its bit in its digit's
// WG-bit mask (WG / 32 words per digit); rank = popcount of the mask bits below it plus
// the digit's running offset. Then each key clears its mask word and the digit's last key
// in the chunk advances the offset. Two mask sets alternate by chunk, so a chunk costs two
// barriers. Workgroup memory: 4 * (2 * RADIX * WG / 32 + RADIX) bytes (9 KiB at 8 bits, WG 128).
//
// CPU adapters (lavapipe, SwiftShader) take the `*_serial` entry points instead: each
// thread owns a block of BLOCK_KEYS keys and walks it in order, counting, then placing
// every key at its digit's running offset in the scanned table (its own column, so no
// other thread touches it). That is stable with no barrier and no workgroup memory:
// SwiftShader switches coroutines at every barrier, which made the ranking scatter cost
// about 600 ns per key there.
//
// info (written by `setup`): [count, num_blocks, table_count, 0, grid.x, grid.y, grid.z]

// #import dispatch
// #import radix_params

const WG: u32 = 128u;
const MASK_WORDS: u32 = 4u;  // WG / 32
const RADIX_BITS: u32 = 8u;
const RADIX: u32 = 256u;  // 1 << RADIX_BITS
const CHUNKS: u32 = 32u;  // chunks of WG keys per block
const BLOCK_KEYS: u32 = 4096u;  // WG * CHUNKS
const MAX_DIM: u32 = 65535u;
const SERIAL: bool = false;  // one block per thread (*_serial entry points)

// setup
@group(0) @binding(0) var<storage, read> count_src: array<u32>;
@group(0) @binding(1) var<storage, read_write> meta_out: array<u32>;
@group(0) @binding(2) var<uniform> setup_params: SetupParams;

// histogram / scatter (meta is read-only: it is also the indirect args)
@group(0) @binding(0) var<storage, read> info: array<u32>;
@group(0) @binding(1) var<uniform> pass_params: PassParams;
@group(0) @binding(2) var<storage, read> keys_in: array<u32>;
@group(0) @binding(3) var<storage, read_write> table_out: array<u32>;

@group(0) @binding(3) var<storage, read> table: array<u32>;
@group(0) @binding(4) var<storage, read> values_in: array<u32>;
@group(0) @binding(5) var<storage, read_write> keys_out: array<u32>;
@group(0) @binding(6) var<storage, read_write> values_out: array<u32>;

var<workgroup> counts: array<atomic<u32>, RADIX>;
// two sets, alternating by chunk, so clearing one overlaps filling the other
var<workgroup> masks: array<atomic<u32>, 2u * RADIX * MASK_WORDS>;
var<workgroup> offsets: array<u32, RADIX>;

@compute @workgroup_size(1)
fn setup() {
    let n = min(count_src[setup_params.count_word], setup_params.capacity);
    let blocks = div_ceil(n, BLOCK_KEYS);
    let g = grid_for_groups(select(blocks, div_ceil(blocks, WG), SERIAL), MAX_DIM);
    meta_out[0] = n;
    meta_out[1] = blocks;
    meta_out[2] = blocks * RADIX;
    meta_out[3] = 0u;
    meta_out[4] = g.x;
    meta_out[5] = g.y;
    meta_out[6] = g.z;
}

@compute @workgroup_size(WG)
fn histogram(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let n = info[0];
    let blocks = info[1];
    let g = linear_group(wid, nwg);
    if g >= blocks {
        return;
    }
    for (var d = t; d < RADIX; d += WG) {
        atomicStore(&counts[d], 0u);
    }
    workgroupBarrier();
    let shift = pass_params.shift;
    let first = g * BLOCK_KEYS + t;
    for (var c = 0u; c < CHUNKS; c++) {
        let i = first + c * WG;
        if i < n {
            atomicAdd(&counts[(keys_in[i] >> shift) & (RADIX - 1u)], 1u);
        }
    }
    workgroupBarrier();
    for (var d = t; d < RADIX; d += WG) {
        table_out[d * blocks + g] = atomicLoad(&counts[d]);
    }
}

@compute @workgroup_size(WG)
fn scatter(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let n = info[0];
    let blocks = info[1];
    let g = linear_group(wid, nwg);
    if g >= blocks {
        return;
    }
    for (var d = t; d < RADIX; d += WG) {
        offsets[d] = table[d * blocks + g];
    }
    for (var w = t; w < 2u * RADIX * MASK_WORDS; w += WG) {
        atomicStore(&masks[w], 0u);
    }
    workgroupBarrier();
    let shift = pass_params.shift;
    let word = t / 32u;
    let bit = 1u << (t % 32u);
    let start = g * BLOCK_KEYS;
    for (var c = 0u; c < CHUNKS; c++) {
        let chunk = start + c * WG;
        if chunk >= n {
            break;  // uniform: n and g are uniform
        }
        let i = chunk + t;
        let valid = i < n;
        var key = 0u;
        var m = 0u;
        if valid {
            key = keys_in[i];
            m = (((key >> shift) & (RADIX - 1u)) + (c & 1u) * RADIX) * MASK_WORDS;
            atomicOr(&masks[m + word], bit);
        }
        workgroupBarrier();
        var rank = 0u;
        var last = false;
        if valid {
            let mine = atomicLoad(&masks[m + word]);
            rank = countOneBits(mine & (bit - 1u));
            for (var w = 0u; w < word; w++) {
                rank += countOneBits(atomicLoad(&masks[m + w]));
            }
            // the digit's last key in this chunk advances the digit's offset afterwards
            var above = mine & ~((bit - 1u) | bit);
            for (var w = word + 1u; w < MASK_WORDS; w++) {
                above |= atomicLoad(&masks[m + w]);
            }
            last = above == 0u;
            let dst = offsets[(m / MASK_WORDS) & (RADIX - 1u)] + rank;
            keys_out[dst] = key;
            values_out[dst] = values_in[i];
        }
        workgroupBarrier();
        if valid {
            // every set word belongs to some valid key, so this clears all of them
            atomicStore(&masks[m + word], 0u);
            if last {
                offsets[(m / MASK_WORDS) & (RADIX - 1u)] += rank + 1u;
            }
        }
        // no barrier: the next chunk fills the other mask set, and its first barrier
        // orders these offset updates before its reads
    }
}

@compute @workgroup_size(WG)
fn histogram_serial(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let blocks = info[1];
    let g = linear_group(wid, nwg) * WG + t;
    if g >= blocks {
        return;
    }
    for (var d = 0u; d < RADIX; d++) {
        table_out[d * blocks + g] = 0u;
    }
    let shift = pass_params.shift;
    let keys = block_items(g, BLOCK_KEYS, info[0]);
    for (var i = keys.x; i < keys.y; i++) {
        let cell = ((keys_in[i] >> shift) & (RADIX - 1u)) * blocks + g;
        table_out[cell] += 1u;
    }
}

@compute @workgroup_size(WG)
fn scatter_serial(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let blocks = info[1];
    let g = linear_group(wid, nwg) * WG + t;
    let shift = pass_params.shift;
    let keys = block_items(g, BLOCK_KEYS, info[0]);  // empty past the last block
    for (var i = keys.x; i < keys.y; i++) {
        let key = keys_in[i];
        let cell = ((key >> shift) & (RADIX - 1u)) * blocks + g;
        let dst = table_out[cell];
        table_out[cell] = dst + 1u;
        keys_out[dst] = key;
        values_out[dst] = values_in[i];
    }
}
