// Niantic SPZ decoder (runtime path, versions 1-4) over the decompressed attribute
// streams. Segments: 0 positions (v1: 3xf16; v2+: 3x24-bit fixed point), 1 alpha bytes
// (sigmoid*255), 2 colour bytes (DC*0.15+0.5, *255), 3 scale bytes ((log+10)*16),
// 4 rotations (v1-2: x,y,z bytes; v3+: smallest-three in 32 bits, x,y,z,w order),
// 5 SH bytes (coefficient-major, rgb inner, (b-128)/128). Twin: formats/spz.py.

// #import decode_common

const COLOR_SCALE: f32 = 0.15;

@group(0) @binding(3) var<uniform> params: SpzParams;  // shaders/layout.py

fn seg_u8(k: u32, index: u32) -> u32 {
    return byte_at(seg_byte(params.c, k) + index);
}

fn fixed24(b: u32) -> f32 {
    let v = byte_at(b) | (byte_at(b + 1u) << 8u) | (byte_at(b + 2u) << 16u);
    let signed = bitcast<i32>(v << 8u) >> 8u;
    return f32(signed) * params.frac_scale;
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = splat_index(gid, params.c);
    if i >= params.c.count {
        return;
    }
    var mean: vec3<f32>;
    let pos = seg_byte(params.c, 0u);
    for (var k = 0u; k < 3u; k++) {
        if params.version == 1u {
            mean[k] = f16_at(pos + i * 6u + 2u * k);
        } else {
            mean[k] = fixed24(pos + i * 9u + 3u * k);
        }
    }
    var dc: vec3<f32>;
    var ls: vec3<f32>;
    for (var k = 0u; k < 3u; k++) {
        dc[k] = (f32(seg_u8(2u, 3u * i + k)) / 255.0 - 0.5) / COLOR_SCALE;
        ls[k] = f32(seg_u8(3u, 3u * i + k)) / 16.0 - 10.0;
    }
    var q: vec4<f32>;  // w x y z
    if params.version < 3u {
        var xyz: vec3<f32>;
        for (var k = 0u; k < 3u; k++) {
            xyz[k] = f32(seg_u8(4u, 3u * i + k)) / 127.5 - 1.0;
        }
        q = vec4<f32>(sqrt(max(0.0, 1.0 - dot(xyz, xyz))), xyz);
    } else {
        let p = word_at(seg_byte(params.c, 4u) + 4u * i);
        let largest = p >> 30u;
        var xyzw = vec4<f32>(0.0);
        var sum = 0.0;
        // The lowest 10 bits hold the highest index that is not the largest.
        var slot = 3u;
        for (var k = 0u; k < 3u; k++) {
            if slot == largest {
                slot -= 1u;
            }
            let bits = (p >> (10u * k)) & 1023u;
            let mag = f32(bits & 511u) * (0.7071067811865476 / 511.0);
            let v = select(mag, -mag, (bits & 512u) != 0u);
            xyzw[slot] = v;
            sum += v * v;
            if slot > 0u {
                slot -= 1u;
            }
        }
        xyzw[largest] = sqrt(max(0.0, 1.0 - sum));
        q = vec4<f32>(xyzw.w, xyzw.x, xyzw.y, xyzw.z);
    }
    if !store_splat(params.c, i, true, mean, logit_u8(seg_u8(1u, i)), q, ls, dc) {
        return;
    }
    let sh = seg_byte(params.c, 5u) + i * params.file_sh;
    for (var f = 0u; f < params.c.sh_floats; f++) {
        var v = 0.0;
        if f < params.file_sh {
            v = (f32(byte_at(sh + f)) - 128.0) / 128.0;
        }
        write_sh(params.c, i, f, v);
    }
}
