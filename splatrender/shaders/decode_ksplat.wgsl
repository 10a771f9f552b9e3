// mkkellogg .ksplat decoder (runtime path), one section per dispatch series. Records:
// level 0: position 3xf32, scale 3xf32 (linear), rotation 4xf32 (w,x,y,z); levels 1-2:
// position 3xu16 offsets from the bucket centre, scale and rotation as f16; then RGBA
// bytes and SH (level 0 f32, 1 f16, 2 u8 over [sh_min, sh_max]), per band channel-major.
// Segments: 0 records (from the dispatch's first splat), 1 bucket rows (centre = first
// 3 f32), 2 cumulative partial-bucket sizes (u32). Twin: formats/ksplat.py.

// #import decode_common

@group(0) @binding(3) var<uniform> params: KsplatParams;  // shaders/layout.py

// Bucket of section splat s, as numpy's repeat over the partial bucket sizes.
fn bucket_of(s: u32) -> u32 {
    let n_full = params.full * params.capacity;
    if s < n_full {
        return s / params.capacity;
    }
    let r = s - n_full;
    let ends = seg_byte(params.c, 2u);
    var lo = 0u;
    var hi = params.partial;  // first bucket whose cumulative end exceeds r
    while lo < hi {
        let mid = (lo + hi) / 2u;
        if word_at(ends + 4u * mid) > r {
            hi = mid;
        } else {
            lo = mid + 1u;
        }
    }
    return params.full + lo;
}

fn sh_value(b: u32) -> f32 {
    if params.level == 0u {
        return f32_at(b);
    }
    if params.level == 1u {
        return f16_at(b);
    }
    return params.sh_min + f32(byte_at(b)) / 255.0 * params.sh_span;
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = splat_index(gid, params.c);
    if i >= params.c.count {
        return;
    }
    let r = seg_byte(params.c, 0u) + i * params.rec;
    var mean: vec3<f32>;
    var sc: vec3<f32>;
    var q: vec4<f32>;
    if params.level == 0u {
        for (var k = 0u; k < 3u; k++) {
            mean[k] = f32_at(r + 4u * k);
            sc[k] = f32_at(r + 12u + 4u * k);
        }
        for (var k = 0u; k < 4u; k++) {
            q[k] = f32_at(r + 24u + 4u * k);
        }
    } else {
        let b = bucket_of(params.c.first + i);
        let centre = seg_byte(params.c, 1u) + b * params.bucket_bytes;
        for (var k = 0u; k < 3u; k++) {
            let u = f32(u16_at(r + 2u * k));
            mean[k] = (u - params.qrange) * params.pos_scale + f32_at(centre + 4u * k);
            sc[k] = f16_at(r + 6u + 2u * k);
        }
        for (var k = 0u; k < 4u; k++) {
            q[k] = f16_at(r + 12u + 2u * k);
        }
    }
    var ls: vec3<f32>;
    for (var k = 0u; k < 3u; k++) {
        // numpy: where(sc > 0, log(max(sc, 1e-30)), -10); NaN is not > 0
        ls[k] = select(-10.0, log(max(sc[k], 1e-30)), sc[k] > 0.0 && !is_nan(sc[k]));
    }
    let rgba = bytes4(word_at(r + params.color_at)) / 255.0;
    let dc = vec3<f32>(rgb_to_dc(rgba.x), rgb_to_dc(rgba.y), rgb_to_dc(rgba.z));
    if !store_splat(params.c, i, true, mean, logit_u8(word_at(r + params.color_at) >> 24u), q, ls, dc) {
        return;
    }

    // Stored component j of band b (width w = 2b+1, from the band's first component):
    // coefficient b*b + j % w, channel j / w. Pool slot (coefficient-1)*3 + channel.
    let hb = select(select(1u, 2u, params.level == 1u), 4u, params.level == 0u);
    let sh = r + params.color_at + 4u;
    var band_start = 0u;
    for (var band = 1u; band <= 3u; band++) {
        let w = 2u * band + 1u;
        if band_start + 3u * w > params.ncomp {
            break;
        }
        for (var j = 0u; j < 3u * w; j++) {
            let f = (band * band + j % w - 1u) * 3u + j / w;
            if f < params.c.sh_floats {
                write_sh(params.c, i, f, sh_value(sh + (band_start + j) * hb));
            }
        }
        band_start += 3u * w;
    }
    for (var f = params.ncomp; f < params.c.sh_floats; f++) {
        write_sh(params.c, i, f, 0.0);
    }
}
