// Shared pieces of the runtime decoders (splatrender/formats/runtime/): the input
// bytes (post-entropy, uploaded as u32 words), the pool page outputs, byte readers and
// the final store of a splat in the pool layout (render/layout.py).
//
// Every decoder binds: 0 = input words, 1 = page geometry, 2 = page SH rest, 3 = its
// uniform `params` whose first member is a `Common`. The input of one dispatch holds up
// to 8 segments (e.g. one per attribute stream) at 4-byte aligned word offsets
// `seg[k]`. Splat i of a dispatch is written to page slot `out_base + i`.
// The numpy readers in splatrender/formats/ are the twins: values match them within
// float32 rounding, and splats they would drop (non-finite, zero rotation) are written
// invisible here (opacity logit at the low clamp, tiny scales) instead.

const WG: u32 = 256u;
const GEOM_FLOATS: u32 = 16u;
const SH_C0: f32 = 0.28209479177387814;
const OPACITY_EPS: f32 = 1e-6;
const LOGIT_MIN: f32 = -20.0;
const LOGIT_MAX: f32 = 20.0;
const LOG_SCALE_MIN: f32 = -30.0;
const LOG_SCALE_MAX: f32 = 14.0;

struct Common {
    count: u32,      // splats in this dispatch
    groups_x: u32,   // workgroups along x (2D grids past 65,535 groups)
    out_base: u32,   // page slot of the dispatch's first splat
    sh_floats: u32,  // SH rest floats per splat in the pool
    first: u32,      // index of the dispatch's first splat within its part
    _p0: u32,
    _p1: u32,
    _p2: u32,
    seg: array<vec4<u32>, 6>,  // word offset of each input segment
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> geometry: array<f32>;
@group(0) @binding(2) var<storage, read_write> sh_rest: array<f32>;

fn splat_index(gid: vec3<u32>, c: Common) -> u32 {
    return gid.x + gid.y * c.groups_x * WG;
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
// rotation) stores it invisible, where the numpy packer drops the splat.
fn store_splat(
    c: Common, i: u32, ok_in: bool, mean: vec3<f32>, opacity: f32, quat: vec4<f32>,
    log_scale: vec3<f32>, dc: vec3<f32>
) {
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
        for (var k = 0u; k < GEOM_FLOATS; k++) {
            geometry[o + k] = 0.0;
        }
        geometry[o + 3u] = LOGIT_MIN;
        geometry[o + 4u] = 1.0;
        geometry[o + 8u] = LOG_SCALE_MIN;
        geometry[o + 9u] = LOG_SCALE_MIN;
        geometry[o + 10u] = LOG_SCALE_MIN;
        return;
    }
    geometry[o + 0u] = mean.x;
    geometry[o + 1u] = mean.y;
    geometry[o + 2u] = mean.z;
    geometry[o + 3u] = clamp(opacity, LOGIT_MIN, LOGIT_MAX);
    geometry[o + 4u] = quat.x;
    geometry[o + 5u] = quat.y;
    geometry[o + 6u] = quat.z;
    geometry[o + 7u] = quat.w;
    for (var k = 0u; k < 3u; k++) {
        geometry[o + 8u + k] = clamp(log_scale[k], LOG_SCALE_MIN, LOG_SCALE_MAX);
        geometry[o + 11u + k] = dc[k];
    }
    geometry[o + 14u] = 0.0;
    geometry[o + 15u] = 0.0;
}

// The four bytes of a word as floats 0..255 (exact, unlike unpack4x8unorm * 255).
fn bytes4(w: u32) -> vec4<f32> {
    return vec4<f32>(f32(w & 0xffu), f32((w >> 8u) & 0xffu), f32((w >> 16u) & 0xffu), f32(w >> 24u));
}
