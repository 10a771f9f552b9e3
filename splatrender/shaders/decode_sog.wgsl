// PlayCanvas SOG v2 decoder (runtime path) over WebP-decoded RGBA texels (one u32 per
// texel, R in the low byte, one texel per splat in row-major order). Segments:
// 0 means_l, 1 means_u, 2 quats, 3 scales, 4 sh0, 5 shN labels, 6 shN centroids (the
// whole palette: entry p, coefficient j at texel p*m + j), 7 codebooks (256 f32 each:
// scales, sh0, shN). Twin: formats/sog.py (decode).

// #import decode_common

@group(0) @binding(3) var<uniform> params: SogParams;  // shaders/layout.py

fn texel(k: u32, i: u32) -> u32 {
    return src[params.c.seg[k / 4u][k % 4u] + i];
}

fn codebook(book: u32, index: u32) -> f32 {
    return bitcast<f32>(src[params.c.seg[1].w + book * 256u + index]);
}

fn channel(t: u32, ch: u32) -> u32 {
    return (t >> (8u * ch)) & 0xffu;
}

// expm1 accurate near 0 (where exp(x) - 1 would cancel).
fn expm1(x: f32) -> f32 {
    if abs(x) < 0.1 {
        return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0)))));
    }
    return exp(x) - 1.0;
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = splat_index(gid, params.c);
    if i >= params.c.count {
        return;
    }
    let lo = texel(0u, i);
    let hi = texel(1u, i);
    var mean: vec3<f32>;
    for (var k = 0u; k < 3u; k++) {
        let q16 = f32(channel(lo, k) | (channel(hi, k) << 8u));
        let v = params.mins[k] + params.step[k] * q16;
        mean[k] = sign(v) * expm1(abs(v));
    }

    let qt = texel(2u, i);
    let tag = i32(channel(qt, 3u)) - 252;
    var q = vec4<f32>(1.0, 0.0, 0.0, 0.0);
    if tag >= 0 && tag <= 3 {
        var small: vec3<f32>;
        for (var k = 0u; k < 3u; k++) {
            small[k] = f32(channel(qt, k)) * (2.0 / 255.0 / 1.4142135623730951) - 0.7071067811865476;
        }
        let big = u32(tag);
        var j = 0u;
        for (var t = 0u; t < 4u; t++) {
            if t == big {
                q[t] = sqrt(max(0.0, 1.0 - dot(small, small)));
            } else {
                q[t] = small[j];
                j++;
            }
        }
    }

    let st = texel(3u, i);
    let ls = vec3<f32>(codebook(0u, channel(st, 0u)), codebook(0u, channel(st, 1u)),
                       codebook(0u, channel(st, 2u)));
    let c0 = texel(4u, i);
    let dc = vec3<f32>(codebook(1u, channel(c0, 0u)), codebook(1u, channel(c0, 1u)),
                       codebook(1u, channel(c0, 2u)));
    if !store_splat(params.c, i, true, mean, logit_u8(channel(c0, 3u)), q, ls, dc) {
        return;
    }

    var label = params.palette;
    if params.file_rest != 0u {
        let lt = texel(5u, i);
        label = min(channel(lt, 0u) | (channel(lt, 1u) << 8u), params.palette);
    }
    for (var f = 0u; f < params.c.sh_floats; f++) {
        let j = f / 3u;
        var v = 0.0;
        if label < params.palette && j < params.file_rest {
            v = codebook(2u, channel(texel(6u, label * params.file_rest + j), f % 3u));
        }
        write_sh(params.c, i, f, v);
    }
}
