// antimatter15 .splat decoder (runtime path): 32-byte records of position 3xf32,
// linear scale 3xf32, RGBA u8 (A = opacity), rotation 4xu8 w,x,y,z as q*128+128.
// Twin: formats/splat.py.

// #import decode_common

struct Params {
    c: Common,
}

@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = splat_index(gid, params.c);
    if i >= params.c.count {
        return;
    }
    let w = seg_byte(params.c, 0u) / 4u + i * 8u;
    let mean = vec3<f32>(bitcast<f32>(src[w]), bitcast<f32>(src[w + 1u]), bitcast<f32>(src[w + 2u]));
    let s = vec3<f32>(bitcast<f32>(src[w + 3u]), bitcast<f32>(src[w + 4u]), bitcast<f32>(src[w + 5u]));
    let ok = s.x > 0.0 && s.y > 0.0 && s.z > 0.0;  // log of <= 0 or NaN: dropped
    let rgba = bytes4(src[w + 6u]) / 255.0;
    let q = (bytes4(src[w + 7u]) - vec4<f32>(128.0)) / 128.0;
    let dc = vec3<f32>(rgb_to_dc(rgba.x), rgb_to_dc(rgba.y), rgb_to_dc(rgba.z));
    if !store_splat(params.c, i, ok, mean, logit_u8(src[w + 6u] >> 24u), q, log(s), dc) {
        return;
    }
    for (var f = 0u; f < params.c.sh_floats; f++) {
        write_sh(params.c, i, f, 0.0);
    }
}
