// RadixSort, subgroup ranking: the scatter for devices with the `subgroups` feature.
//
// Same digit passes as radix_sort.wgsl (histogram -> ExclusiveScan -> scatter over a
// digit-major table[digit * num_blocks + block]), but a block of BLOCK_KEYS keys is
// walked by one *subgroup*, in chunks of as many keys as the subgroup has active lanes:
// - stable rank inside a chunk: match each lane's digit against the others with one
//   subgroupBallot per digit bit (peers = lanes with my digit); rank = peers below me;
// - the chunk's first key of each digit reads the block's running offset for the digit
//   from its table cell, stores it advanced by the digit's count in the chunk, and
//   subgroupShuffle hands the offset to its peers. Chunks run in order, so the block's
//   keys land in order.
// The cell is read and written by whichever lane leads the digit in a chunk, so one
// lane's store must be seen by another lane's later load, with only subgroup operations
// between them. That holds where a subgroup's lanes issue memory operations in order (CPU
// SIMD lanes, GPU waves/warps); WGSL's memory model does not promise it. Relaxed atomic
// loads and stores keep it free of data races; atomicAdd would not need the assumption
// but made the kernel 1.3x slower on llvmpipe (one locked instruction per digit per chunk).
// No workgroup barrier and no workgroup memory, and nothing assumes a subgroup size:
// it may be anything from 4 to 128 lanes (unknown until the pipeline runs on SwiftShader
// and llvmpipe), and lanes need not be full. Blocks are handed out by a per-pass atomic
// ticket, so any number of subgroups finishes the table (no cross-workgroup waits: a
// subgroup that finds the tickets spent exits). The histogram is radix_sort.wgsl's
// `histogram_serial` with the same BLOCK_KEYS (one thread per block).
//
// Naga (wgpu-native) rejects `enable subgroups;` but needs nothing; the native backend
// drops the directive (gpu/native.py). Tint requires it. The uniformity analysis cannot
// see that the ticket loop is subgroup-uniform (the ticket is broadcast), hence the
// diagnostic.
//
// info (written by `setup`): [count, num_blocks, table_count, 0,
//   histogram grid.xyz (one thread per block), 0, scatter grid.xyz, 0]

enable subgroups;
diagnostic(off, subgroup_uniformity);

// #import dispatch
// #import radix_params

const WG: u32 = 128u;
const RADIX_BITS: u32 = 8u;
const RADIX: u32 = 256u;  // 1 << RADIX_BITS
const BLOCK_KEYS: u32 = 1024u;  // keys per block, walked by one subgroup
const MAX_DIM: u32 = 65535u;
const MAX_PASSES: u32 = 4u;  // ceil(32 / RADIX_BITS): one ticket counter per pass
// llvmpipe stops an invocation's loops after 65535 iterations in all (its infinite-loop
// guard, LP_MAX_TGSI_LOOP_ITERATIONS, by all signs: with an unbounded ticket loop and a
// loop per digit bit, 1M keys lost the tail of one block now and then), and on a CPU
// one subgroup may run before the others start and take every
// ticket. So a subgroup takes at most this many blocks (BLOCK_KEYS / lanes iterations
// each; RadixSort caps BLOCK_KEYS), and `setup` sizes the scatter grid at one subgroup
// per block for its own subgroup size: enough unless the scatter's subgroups are more
// than 32x wider than setup's (4 vs 128 lanes is the widest spread there is).
const MAX_BLOCKS_PER_SUBGROUP: u32 = 32u;

// setup
@group(0) @binding(0) var<storage, read> count_src: array<u32>;
@group(0) @binding(1) var<storage, read_write> meta_out: array<u32>;
@group(0) @binding(2) var<uniform> setup_params: SetupParams;
@group(0) @binding(3) var<storage, read_write> tickets_out: array<u32>;

// scatter (meta is read-only: it is also the indirect args)
@group(0) @binding(0) var<storage, read> info: array<u32>;
@group(0) @binding(1) var<uniform> pass_params: PassParams;
@group(0) @binding(2) var<storage, read> keys_in: array<u32>;
@group(0) @binding(3) var<storage, read_write> table: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read> values_in: array<u32>;
@group(0) @binding(5) var<storage, read_write> keys_out: array<u32>;
@group(0) @binding(6) var<storage, read_write> values_out: array<u32>;
@group(0) @binding(7) var<storage, read_write> tickets: array<atomic<u32>>;

@compute @workgroup_size(1)
fn setup(@builtin(subgroup_size) lanes: u32) {
    let n = min(count_src[setup_params.count_word], setup_params.capacity);
    let blocks = div_ceil(n, BLOCK_KEYS);
    let h = grid_for_groups(div_ceil(blocks, WG), MAX_DIM);
    // about one subgroup per block; only speed depends on it (the tickets share out
    // the blocks whatever the scatter's subgroups really are)
    let s = grid_for_groups(div_ceil(blocks * lanes, WG), MAX_DIM);
    meta_out[0] = n;
    meta_out[1] = blocks;
    meta_out[2] = blocks * RADIX;
    meta_out[3] = 0u;
    meta_out[4] = h.x;
    meta_out[5] = h.y;
    meta_out[6] = h.z;
    meta_out[7] = 0u;
    meta_out[8] = s.x;
    meta_out[9] = s.y;
    meta_out[10] = s.z;
    meta_out[11] = 0u;
    for (var p = 0u; p < MAX_PASSES; p++) {
        tickets_out[p] = 0u;
    }
}

// 128-bit lane masks (subgroupBallot), word k holding lanes 32k..32k+31
fn lanes_below(lane: u32) -> vec4<u32> {
    let c = clamp(vec4<i32>(i32(lane)) - vec4<i32>(0, 32, 64, 96), vec4<i32>(0), vec4<i32>(32));
    let full = c == vec4<i32>(32);
    return select((vec4<u32>(1u) << vec4<u32>(c)) - vec4<u32>(1u), vec4<u32>(0xffffffffu), full);
}

fn count_lanes(m: vec4<u32>) -> u32 {
    let c = countOneBits(m);
    return c.x + c.y + c.z + c.w;
}

// lanes whose digit has my bit b
fn same_bit(digit: u32, b: u32) -> vec4<u32> {
    let one = ((digit >> b) & 1u) != 0u;
    let ones = subgroupBallot(one);
    return select(~ones, ones, one);
}

// lanes holding a valid key with my digit: one ballot per digit bit, unrolled (see
// MAX_BLOCKS_PER_SUBGROUP for why loops are counted)
fn digit_peers(digit: u32, valid: bool) -> vec4<u32> {
    var peers = subgroupBallot(valid);
    peers &= same_bit(digit, 0u) & same_bit(digit, 1u) & same_bit(digit, 2u);
    peers &= same_bit(digit, 3u);
    if RADIX_BITS > 4u {
        peers &= same_bit(digit, 4u) & same_bit(digit, 5u) & same_bit(digit, 6u);
        peers &= same_bit(digit, 7u);
    }
    return peers;
}

fn first_lane(m: vec4<u32>) -> u32 {
    let f = firstTrailingBit(m) + vec4<u32>(0u, 32u, 64u, 96u);
    return select(select(select(f.w, f.z, m.z != 0u), f.y, m.y != 0u), f.x, m.x != 0u);
}

@compute @workgroup_size(WG)
fn scatter(@builtin(subgroup_invocation_id) lane: u32) {
    let n = info[0];
    let blocks = info[1];
    let shift = pass_params.shift;
    let live = subgroupBallot(true);
    let width = count_lanes(live);  // keys per chunk
    let below = lanes_below(lane);
    let pos = count_lanes(live & below);  // my key's place in a chunk
    for (var taken = 0u; taken < MAX_BLOCKS_PER_SUBGROUP; taken++) {
        var ticket = 0u;
        if pos == 0u {  // the lowest live lane (naga has no subgroupElect)
            ticket = atomicAdd(&tickets[shift / RADIX_BITS], 1u);
        }
        let block = subgroupBroadcastFirst(ticket);
        if block >= blocks {
            break;  // subgroup-uniform
        }
        let keys = block_items(block, BLOCK_KEYS, n);
        for (var first = keys.x; first < keys.y; first += width) {
            let i = first + pos;
            let valid = i < keys.y;
            var key = 0u;
            if valid {
                key = keys_in[i];
            }
            let digit = (key >> shift) & (RADIX - 1u);
            let peers = digit_peers(digit, valid);
            let rank = count_lanes(peers & below);
            var start = 0u;
            if valid && rank == 0u {
                let cell = digit * blocks + block;
                start = atomicLoad(&table[cell]);
                atomicStore(&table[cell], start + count_lanes(peers));
            }
            let dst = subgroupShuffle(start, select(lane, first_lane(peers), valid)) + rank;
            if valid {
                keys_out[dst] = key;
                values_out[dst] = values_in[i];
            }
        }
    }
}
