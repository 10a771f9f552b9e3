// Helpers for count-driven kernels dispatched as 1D or 2D grids.
//
// Convention (whole project): a kernel whose work size lives on the GPU is dispatched
// indirectly with a grid from `group_grid`; its linear workgroup id is
// `linear_group(wid, nwg)` and threads whose item index is >= the count do nothing.
// Import with `// #import dispatch`. This file has no bindings and no entry point.

fn linear_group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

// ceil(a / b) without overflow.
fn div_ceil(a: u32, b: u32) -> u32 {
    return a / b + select(0u, 1u, a % b != 0u);
}

// Indirect-dispatch args (x, y, 1) for `groups` workgroups, split into 2D past `max_dim`.
fn grid_for_groups(groups: u32, max_dim: u32) -> vec3<u32> {
    let x = min(groups, max_dim);
    let y = select(1u, div_ceil(groups, x), x > 0u);
    return vec3<u32>(x, y, 1u);
}

// Indirect-dispatch args covering `items` items at `per_group` items per workgroup.
fn group_grid(items: u32, per_group: u32, max_dim: u32) -> vec3<u32> {
    return grid_for_groups(div_ceil(items, per_group), max_dim);
}

// Serial kernels (CPU adapters): thread g owns block g of `size` consecutive items and
// walks it in order. Its [start, end), clipped to `n` items: empty past the last block.
fn block_items(g: u32, size: u32, n: u32) -> vec2<u32> {
    return vec2<u32>(g * size, min(n, (g + 1u) * size));
}
