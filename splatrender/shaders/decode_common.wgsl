// Shared pieces of the runtime decoders (splatrender/formats/runtime/): the input
// bytes (post-entropy, uploaded as u32 words), the pool page outputs, byte readers and
// the final store of a splat in the pool layout (shaders/layout.py).
//
// Every decoder binds `src` (input words), `geometry` and `sh_rest` (the page), `stats`
// (counters) and its uniform `params`, whose first member is a `Common`. The input of
// one dispatch holds up to DECODE_SEGMENTS segments (e.g. one per attribute stream) at
// 4-byte aligned word offsets `seg[k]`. Splat i of a dispatch is written to page slot
// `out_base + i`. The numpy readers in splatrender/formats/ are the twins: values match
// them within float32 rounding (reference/pool.py packs them as this file stores them).
//
// One policy for broken splats, on every backend: a splat with a non-finite value or a
// zero rotation is kept in place but stored invisible (opacity logit LOGIT_MIN, identity
// rotation, scales LOG_SCALE_MIN, the rest zero) and counted in stats[STAT_INVISIBLE].

// #import layout

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> geometry: array<f32>;
@group(0) @binding(2) var<storage, read_write> sh_rest: array<f32>;
// [STAT_INVISIBLE] broken splats stored invisible; the others a format's own checks
// (decode_attrs.wgsl: the PLY opacity convention).
@group(0) @binding(4) var<storage, read_write> stats: array<atomic<u32>, DECODE_STATS>;

fn splat_index(gid: vec3<u32>, c: Common) -> u32 {
    return gid.x + gid.y * c.groups_x * WORKGROUP;
}

// Byte address of the start of segment k.
fn seg_byte(c: Common, k: u32) -> u32 {
    return c.seg[k / 4u][k % 4u] * 4u;
}

fn byte_at(b: u32) -> u32 {
    return (src[b >> 2u] >> ((b & 3u) * 8u)) & 0xffu;
}

// The little-endian u32 at any byte address (rows need not be 4-byte aligned).
fn word_at(b: u32) -> u32 {
    let w = b >> 2u;
    let s = (b & 3u) * 8u;
    if s == 0u {
        return src[w];
    }
    return (src[w] >> s) | (src[w + 1u] << (32u - s));
}

fn u16_at(b: u32) -> u32 {
    if (b & 3u) == 3u {
        return byte_at(b) | (byte_at(b + 1u) << 8u);
    }
    return (src[b >> 2u] >> ((b & 3u) * 8u)) & 0xffffu;
}

fn f32_at(b: u32) -> f32 {
    return bitcast<f32>(word_at(b));
}

fn f16_at(b: u32) -> f32 {
    return unpack2x16float(u16_at(b)).x;
}

fn is_finite(x: f32) -> bool {
    return ((bitcast<u32>(x) >> 23u) & 0xffu) != 0xffu;
}

fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// Inverse sigmoid with the input clamped to [eps, 1 - eps], as the numpy readers.
// 1 - p is taken from p itself (exact for p >= 0.5), not from the clamped value,
// whose float32 rounding near 1 would be a 1% error at the clamp.
fn logit(p: f32) -> f32 {
    let a = clamp(p, OPACITY_EPS, 1.0);
    let b = clamp(1.0 - p, OPACITY_EPS, 1.0);
    return log(a / b);
}

// logit(b / 255) of an opacity byte, exact in the numerator and denominator.
fn logit_u8(b: u32) -> f32 {
    let e = OPACITY_EPS * 255.0;
    return log(max(f32(b), e) / max(f32(255u - min(b, 255u)), e));
}

fn rgb_to_dc(v: f32) -> f32 {
    return (v - 0.5) / SH_C0;
}

fn write_sh(c: Common, i: u32, f: u32, v: f32) {
    sh_rest[(c.out_base + i) * c.sh_floats + f] = v;
}

// Store one splat; `ok` false (or any non-finite value, a NaN opacity or a zero
// rotation) stores it invisible and counts it. Returns whether it was stored visible:
// a decoder writes SH rest after this only then (the invisible store zeroes it).
fn store_splat(
    c: Common, i: u32, ok_in: bool, mean: vec3<f32>, opacity: f32, quat: vec4<f32>,
    log_scale: vec3<f32>, dc: vec3<f32>
) -> bool {
    let o = (c.out_base + i) * GEOM_FLOATS;
    var ok = ok_in && !is_nan(opacity);
    for (var k = 0u; k < 3u; k++) {
        ok = ok && is_finite(mean[k]) && is_finite(log_scale[k]) && is_finite(dc[k]);
    }
    for (var k = 0u; k < 4u; k++) {
        ok = ok && is_finite(quat[k]);
    }
    ok = ok && dot(abs(quat), vec4<f32>(1.0)) > 0.0;
    if !ok {
        atomicAdd(&stats[STAT_INVISIBLE], 1u);
        for (var k = 0u; k < GEOM_FLOATS; k++) {
            geometry[o + k] = 0.0;
        }
        geometry[o + GEOM_OPACITY] = LOGIT_MIN;
        geometry[o + GEOM_QUAT] = 1.0;
        for (var k = 0u; k < 3u; k++) {
            geometry[o + GEOM_LOG_SCALE + k] = LOG_SCALE_MIN;
        }
        for (var f = 0u; f < c.sh_floats; f++) {
            write_sh(c, i, f, 0.0);
        }
        return false;
    }
    for (var k = 0u; k < 3u; k++) {
        geometry[o + GEOM_MEAN + k] = mean[k];
        geometry[o + GEOM_LOG_SCALE + k] = clamp(log_scale[k], LOG_SCALE_MIN, LOG_SCALE_MAX);
        geometry[o + GEOM_DC + k] = dc[k];
    }
    geometry[o + GEOM_OPACITY] = clamp(opacity, LOGIT_MIN, LOGIT_MAX);
    for (var k = 0u; k < 4u; k++) {
        geometry[o + GEOM_QUAT + k] = quat[k];
    }
    geometry[o + GEOM_DILATION] = 0.0;
    geometry[o + GEOM_PAD] = 0.0;
    return true;
}

// The four bytes of a word as floats 0..255 (exact, unlike unpack4x8unorm * 255).
fn bytes4(w: u32) -> vec4<f32> {
    return vec4<f32>(f32(w & 0xffu), f32((w >> 8u) & 0xffu), f32((w >> 16u) & 0xffu), f32(w >> 24u));
}
