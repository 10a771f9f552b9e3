// A pool page put in spatial (Morton) order at load (render/pool_order.py): neighbouring
// splats in space become neighbours in memory, so the raster's reads of one tile's
// splats (and the next tile's) hit lines already in cache. Captures are often stored in
// training order, where a tile's splats lie all over the page.
// `morton_keys`: one 30-bit key per splat from its mean on a 2**MORTON_BITS grid over
// the scene's framing bounds (outliers clamp to the edge cells); RadixSort orders them.
// `gather`: splat j of the new page is splat order[j] of the old one, word for word.
// Twin: reference/pool_order.py.

// #import layout
// #import dispatch

@group(0) @binding(0) var<uniform> params: OrderParams;
@group(0) @binding(1) var<storage, read> geometry: array<f32>;
@group(0) @binding(2) var<storage, read_write> keys: array<u32>;
@group(0) @binding(3) var<storage, read_write> order: array<u32>;

@group(0) @binding(4) var<storage, read> sorted_order: array<u32>;
@group(0) @binding(5) var<storage, read> geometry_in: array<u32>;
@group(0) @binding(6) var<storage, read> sh_in: array<u32>;
@group(0) @binding(7) var<storage, read_write> geometry_out: array<u32>;
@group(0) @binding(8) var<storage, read_write> sh_out: array<u32>;

// The low MORTON_BITS bits of v spread to every third bit.
fn spread3(v: u32) -> u32 {
    var x = v & 0x3ffu;
    x = (x | (x << 16u)) & 0x030000ffu;
    x = (x | (x << 8u)) & 0x0300f00fu;
    x = (x | (x << 4u)) & 0x030c30c3u;
    x = (x | (x << 2u)) & 0x09249249u;
    return x;
}

// Grid cell of one coordinate; NaN (a broken splat's mean) goes to cell 0.
fn cell(x: f32, lo: f32, scale: f32) -> u32 {
    let c = floor((x - lo) * scale);
    let top = f32((1u << MORTON_BITS) - 1u);
    return u32(select(0.0, clamp(c, 0.0, top), c == c));
}

@compute @workgroup_size(WORKGROUP)
fn morton_keys(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = linear_group(wid, nwg) * WORKGROUP + lid;
    if (i >= params.count) {
        return;
    }
    let g = i * GEOM_FLOATS + GEOM_MEAN;
    let p = params.lo.xyz;
    let s = params.scale.xyz;
    let c = vec3<u32>(cell(geometry[g], p.x, s.x), cell(geometry[g + 1u], p.y, s.y),
                      cell(geometry[g + 2u], p.z, s.z));
    keys[i] = spread3(c.x) | (spread3(c.y) << 1u) | (spread3(c.z) << 2u);
    order[i] = i;
}

@compute @workgroup_size(WORKGROUP)
fn gather(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let j = linear_group(wid, nwg) * WORKGROUP + lid;
    if (j >= params.count) {
        return;
    }
    let src = sorted_order[j];
    for (var k = 0u; k < GEOM_FLOATS; k++) {
        geometry_out[j * GEOM_FLOATS + k] = geometry_in[src * GEOM_FLOATS + k];
    }
    let f = params.sh_floats;
    for (var k = 0u; k < f; k++) {
        sh_out[j * f + k] = sh_in[src * f + k];
    }
}
