// Decode antimatter15 .splat rows (32 bytes: xyz f32, linear scale f32 x3, rgba u8,
// quat u8 x4 as w,x,y,z mapped by q*128+128) into the splat pool geometry layout
// (render/layout.py: mean, opacity logit, quat wxyz, log scale, SH DC, pad).
// Non-finite rows and non-positive scales become invisible (opacity logit at the low clamp), as the native
// packer would drop them.

const WG: u32 = 256u;
const GEOM_FLOATS: u32 = 16u;
const SH_C0: f32 = 0.28209479177387814;
const OPACITY_EPS: f32 = 1e-6;  // as the native readers clamp before the logit
const LOGIT_MIN: f32 = -20.0;
const LOGIT_MAX: f32 = 20.0;
const LOG_SCALE_MIN: f32 = -30.0;
const LOG_SCALE_MAX: f32 = 14.0;

struct Params {
    count: u32,
    groups_x: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> rows: array<u32>;
@group(0) @binding(1) var<storage, read_write> geometry: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn finite_bits(b: u32) -> bool {
    return ((b >> 23u) & 0xffu) != 0xffu;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * params.groups_x * WG;
    if i >= params.count {
        return;
    }
    let r = i * 8u;
    let o = i * GEOM_FLOATS;
    var ok = true;
    for (var k = 0u; k < 6u; k++) {
        ok = ok && finite_bits(rows[r + k]);
    }
    let rgba = unpack4x8unorm(rows[r + 6u]);
    let qb = unpack4x8unorm(rows[r + 7u]) * 255.0;
    let q = (qb - vec4<f32>(128.0)) / 128.0;
    ok = ok && dot(q, q) > 0.0;
    for (var k = 3u; k < 6u; k++) {
        ok = ok && bitcast<f32>(rows[r + k]) > 0.0;  // log scale must be finite
    }
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
    for (var k = 0u; k < 3u; k++) {
        geometry[o + k] = bitcast<f32>(rows[r + k]);
        geometry[o + 8u + k] = clamp(log(bitcast<f32>(rows[r + 3u + k])), LOG_SCALE_MIN, LOG_SCALE_MAX);
        geometry[o + 11u + k] = (rgba[k] - 0.5) / SH_C0;
    }
    let p = clamp(rgba.w, OPACITY_EPS, 1.0 - OPACITY_EPS);
    geometry[o + 3u] = clamp(log(p) - log(1.0 - p), LOGIT_MIN, LOGIT_MAX);
    geometry[o + 4u] = q.x;
    geometry[o + 5u] = q.y;
    geometry[o + 6u] = q.z;
    geometry[o + 7u] = q.w;
    geometry[o + 14u] = 0.0;
    geometry[o + 15u] = 0.0;
}
