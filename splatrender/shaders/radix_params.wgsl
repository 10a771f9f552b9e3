// The uniforms both radix-sort kernels take (radix_sort.wgsl, radix_sort_subgroup.wgsl;
// render/sort.py writes them).

struct SetupParams {
    count_word: u32,
    capacity: u32,  // clamp: min(capacity, key and value buffer lengths)
}

struct PassParams {
    shift: u32,
}
