// The projection's slot in the visible list, one atomic per visible splat. With
// Tuning.subgroup_slots on a device with subgroups, visible_slot_subgroup.wgsl replaces
// this file (render/project.py).
// #import layout

@group(0) @binding(1) var<storage, read_write> counters: array<atomic<u32>>;

fn visible_slot() -> u32 {
    return atomicAdd(&counters[COUNTER_VISIBLE], 1u);
}
