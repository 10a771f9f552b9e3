enable subgroups;
diagnostic(off, subgroup_uniformity);
// The projection's slot in the visible list, one atomic per subgroup: its visible lanes
// take consecutive slots. On a CPU adapter every thread's atomic on the one counter moves
// its cache line between the cores (lavapipe, 1M splats: projection 64 -> 55 ms).
// Called by the visible lanes only, which is all a subgroup operation counts.
// #import layout

@group(0) @binding(1) var<storage, read_write> counters: array<atomic<u32>>;

fn visible_slot() -> u32 {
    let rank = subgroupExclusiveAdd(1u);
    let lanes = subgroupAdd(1u);
    var base = 0u;
    if (rank == 0u) {
        base = atomicAdd(&counters[COUNTER_VISIBLE], lanes);
    }
    return subgroupBroadcastFirst(base) + rank;
}
