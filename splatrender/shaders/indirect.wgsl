// DispatchArgs: turn a GPU-side count into indirect-dispatch args (x, y, 1).
//
// The count and the args are u32 words inside caller buffers; Python binds a
// 256-byte-aligned window around each and passes the word index in `params`. When the
// two words live in one buffer, Python binds that buffer once (as `src`), sets
// `params.same = 1`, and binds a scratch buffer as `dst`, so no two bindings alias.

// #import dispatch

struct Params {
    count_word: u32,
    out_word: u32,
    per_group: u32,
    max_dim: u32,
    same: u32,
}

@group(0) @binding(0) var<storage, read_write> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(1)
fn main() {
    let n = src[params.count_word];
    let g = group_grid(n, params.per_group, params.max_dim);
    let w = params.out_word;
    if params.same != 0u {
        src[w] = g.x;
        src[w + 1u] = g.y;
        src[w + 2u] = g.z;
    } else {
        dst[w] = g.x;
        dst[w + 1u] = g.y;
        dst[w + 2u] = g.z;
    }
}
