// Decode float32 INRIA 3DGS PLY vertex rows into the splat pool layout
// (render/layout.py). Python parses the header and passes, per needed property,
// its word offset inside a row. SH rest goes from the PLY's channel-major order
// (f_rest[c*R + k]) to the pool's coefficient-major order ([k*3 + c]).
// Rows with a non-finite value or a zero quaternion become invisible, as the
// native packer would drop them.

const WG: u32 = 256u;
const GEOM_FLOATS: u32 = 16u;
const LOGIT_MIN: f32 = -20.0;
const LOGIT_MAX: f32 = 20.0;
const LOG_SCALE_MIN: f32 = -30.0;
const LOG_SCALE_MAX: f32 = 14.0;

struct Params {
    count: u32,
    groups_x: u32,
    stride: u32,       // words per row
    rest: u32,         // SH rest coefficients per channel, (deg+1)^2 - 1
    // word offsets: x y z opacity | rot_0..3 | scale_0..2 f_dc_0 | f_dc_1 f_dc_2 f_rest_0 -
    off: array<vec4<u32>, 4>,
}

@group(0) @binding(0) var<storage, read> rows: array<u32>;
@group(0) @binding(1) var<storage, read_write> geometry: array<f32>;
@group(0) @binding(2) var<storage, read_write> sh_rest: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn finite_bits(b: u32) -> bool {
    return ((b >> 23u) & 0xffu) != 0xffu;
}

fn field(r: u32, k: u32) -> u32 {
    return rows[r + params.off[k / 4u][k % 4u]];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * params.groups_x * WG;
    if i >= params.count {
        return;
    }
    let r = i * params.stride;
    let o = i * GEOM_FLOATS;
    var ok = true;
    var v: array<f32, 14>;
    for (var k = 0u; k < 14u; k++) {
        let b = field(r, k);
        ok = ok && finite_bits(b);
        v[k] = bitcast<f32>(b);
    }
    let nr = params.rest * 3u;
    let rest_base = r + params.off[3][2];
    for (var c = 0u; c < 3u; c++) {
        for (var k = 0u; k < params.rest; k++) {
            let b = rows[rest_base + c * params.rest + k];
            ok = ok && finite_bits(b);
            sh_rest[i * nr + k * 3u + c] = select(0.0, bitcast<f32>(b), finite_bits(b));
        }
    }
    let q = vec4<f32>(v[4], v[5], v[6], v[7]);
    ok = ok && dot(abs(q), vec4<f32>(1.0)) > 0.0;
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
    geometry[o + 0u] = v[0];
    geometry[o + 1u] = v[1];
    geometry[o + 2u] = v[2];
    geometry[o + 3u] = clamp(v[3], LOGIT_MIN, LOGIT_MAX);
    for (var k = 4u; k < 8u; k++) {
        geometry[o + k] = v[k];
    }
    for (var k = 8u; k < 11u; k++) {
        geometry[o + k] = clamp(v[k], LOG_SCALE_MIN, LOG_SCALE_MAX);
    }
    geometry[o + 11u] = v[11];
    geometry[o + 12u] = v[12];
    geometry[o + 13u] = v[13];
    geometry[o + 14u] = 0.0;
    geometry[o + 15u] = 0.0;
}
