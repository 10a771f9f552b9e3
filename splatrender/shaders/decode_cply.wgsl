// PlayCanvas / SuperSplat compressed PLY decoder (runtime path). Per 256 splats a
// `chunk` row holds float min/max of position, log scale and optionally colour; per
// splat a `vertex` row packs position and scale 11-10-11, rotation as a 2-bit largest
// index + 3x10 bits, colour RGBA 8888 (A = sigmoid(opacity)); an optional `sh` element
// holds f_rest_* bytes (channel-major) over [-4, 4]. Python passes byte offsets of the
// properties in their rows. Segments: 0 chunk rows (from the dispatch's first chunk),
// 1 vertex rows, 2 sh rows. Twin: formats/compressed_ply.py.

// #import decode_common

const CHUNK: u32 = 256u;

@group(0) @binding(3) var<uniform> params: CplyParams;  // shaders/layout.py

fn cval(chunk: u32, k: u32) -> f32 {
    let b = seg_byte(params.c, 0u) + chunk * params.chunk_stride + params.coff[k / 4u][k % 4u];
    return f32_at(b);
}

fn unorm_bits(v: u32, shift: u32, bits: u32) -> f32 {
    return f32((v >> shift) & ((1u << bits) - 1u)) / f32((1u << bits) - 1u);
}

fn unpack_111011(v: u32) -> vec3<f32> {
    return vec3<f32>(unorm_bits(v, 21u, 11u), unorm_bits(v, 11u, 10u), unorm_bits(v, 0u, 11u));
}

fn lerp(a: f32, b: f32, t: f32) -> f32 {
    return a * (1.0 - t) + b * t;
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = splat_index(gid, params.c);
    if i >= params.c.count {
        return;
    }
    let chunk = (params.c.first + i) / CHUNK - params.c.first / CHUNK;
    let row = seg_byte(params.c, 1u) + i * params.vert_stride;
    let p = unpack_111011(word_at(row + params.voff.x));
    let s = unpack_111011(word_at(row + params.voff.z));
    var mean: vec3<f32>;
    var ls: vec3<f32>;
    for (var k = 0u; k < 3u; k++) {
        mean[k] = lerp(cval(chunk, k), cval(chunk, 3u + k), p[k]);
        ls[k] = lerp(cval(chunk, 6u + k), cval(chunk, 9u + k), s[k]);
    }

    let rot = word_at(row + params.voff.y);
    let abc = (vec3<f32>(unorm_bits(rot, 20u, 10u), unorm_bits(rot, 10u, 10u), unorm_bits(rot, 0u, 10u))
        - vec3<f32>(0.5)) * 1.4142135623730951;
    let m = sqrt(max(0.0, 1.0 - dot(abc, abc)));
    let which = rot >> 30u;
    var q = vec4<f32>(0.0);
    var j = 0u;
    for (var t = 0u; t < 4u; t++) {
        if t == which {
            q[t] = m;
        } else {
            q[t] = abc[j];
            j++;
        }
    }

    let col = word_at(row + params.voff.w);
    var rgb = vec3<f32>(unorm_bits(col, 24u, 8u), unorm_bits(col, 16u, 8u), unorm_bits(col, 8u, 8u));
    if params.has_color != 0u {
        for (var k = 0u; k < 3u; k++) {
            rgb[k] = lerp(cval(chunk, 12u + k), cval(chunk, 15u + k), rgb[k]);
        }
    }
    let dc = vec3<f32>(rgb_to_dc(rgb.x), rgb_to_dc(rgb.y), rgb_to_dc(rgb.z));
    if !store_splat(params.c, i, true, mean, logit_u8(col & 0xffu), q, ls, dc) {
        return;
    }

    let sh_row = seg_byte(params.c, 2u) + i * params.sh_stride;
    for (var f = 0u; f < params.c.sh_floats; f++) {
        let k = f / 3u;
        let ch = f % 3u;
        var v = 0.0;
        if params.sh_stride != 0u && k < params.file_rest {
            let qb = byte_at(sh_row + ch * params.file_rest + k);
            var t = (f32(qb) + 0.5) / 256.0;
            if qb == 0u {
                t = 0.0;
            } else if qb == 255u {
                t = 1.0;
            }
            v = (t - 0.5) * 8.0;
        }
        write_sh(params.c, i, f, v);
    }
}
