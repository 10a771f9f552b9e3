// Decode PlayCanvas/SuperSplat compressed PLY into the splat pool layout
// (render/layout.py). Per 256 splats a `chunk` row holds float min/max of position,
// log scale and (optionally) colour; per splat the `vertex` row packs position and
// scale 11-10-11, rotation as a 2-bit largest-component index + 3x10 bits, and colour
// RGBA 8888 (A = opacity); an optional `sh` element holds f_rest_* as bytes
// (channel-major) mapped to [-4, 4]. Python parses the header and passes word offsets.

const WG: u32 = 256u;
const GEOM_FLOATS: u32 = 16u;
const CHUNK: u32 = 256u;
const SH_C0: f32 = 0.28209479177387814;
const OPACITY_EPS: f32 = 1e-6;
const LOGIT_MIN: f32 = -20.0;
const LOGIT_MAX: f32 = 20.0;
const LOG_SCALE_MIN: f32 = -30.0;
const LOG_SCALE_MAX: f32 = 14.0;

struct Params {
    count: u32,
    groups_x: u32,
    chunk_stride: u32,  // words per chunk row
    vert_stride: u32,   // words per vertex row
    sh_stride: u32,     // bytes per sh row (0: no sh element)
    rest: u32,          // SH rest coefficients per channel
    has_color: u32,     // chunk rows carry min/max colour
    _pad: u32,
    // vertex word offsets: packed_position, packed_rotation, packed_scale, packed_color
    voff: vec4<u32>,
    // chunk word offsets: min_x y z, max_x y z, min_scale_x y z, max_scale_x y z,
    // min_r g b, max_r g b, -, -
    coff: array<vec4<u32>, 5>,
}

@group(0) @binding(0) var<storage, read> chunks: array<f32>;
@group(0) @binding(1) var<storage, read> verts: array<u32>;
@group(0) @binding(2) var<storage, read> sh_bytes: array<u32>;
@group(0) @binding(3) var<storage, read_write> geometry: array<f32>;
@group(0) @binding(4) var<storage, read_write> sh_rest: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

fn cval(c: u32, k: u32) -> f32 {
    return chunks[c * params.chunk_stride + params.coff[k / 4u][k % 4u]];
}

fn unorm_bits(v: u32, shift: u32, bits: u32) -> f32 {
    return f32((v >> shift) & ((1u << bits) - 1u)) / f32((1u << bits) - 1u);
}

fn unpack_111011(v: u32) -> vec3<f32> {
    return vec3<f32>(unorm_bits(v, 21u, 11u), unorm_bits(v, 11u, 10u), unorm_bits(v, 0u, 11u));
}

fn read_byte(index: u32) -> u32 {
    return (sh_bytes[index / 4u] >> (8u * (index % 4u))) & 0xffu;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * params.groups_x * WG;
    if i >= params.count {
        return;
    }
    let c = i / CHUNK;
    let row = i * params.vert_stride;
    let o = i * GEOM_FLOATS;

    let p = unpack_111011(verts[row + params.voff.x]);
    let s = unpack_111011(verts[row + params.voff.z]);
    for (var k = 0u; k < 3u; k++) {
        geometry[o + k] = mix(cval(c, k), cval(c, 3u + k), p[k]);
        let ls = mix(cval(c, 6u + k), cval(c, 9u + k), s[k]);
        geometry[o + 8u + k] = clamp(ls, LOG_SCALE_MIN, LOG_SCALE_MAX);
    }

    let rot = verts[row + params.voff.y];
    let abc = (vec3<f32>(unorm_bits(rot, 20u, 10u), unorm_bits(rot, 10u, 10u), unorm_bits(rot, 0u, 10u)) - 0.5)
        * sqrt(2.0);
    let m = sqrt(max(0.0, 1.0 - dot(abc, abc)));
    let which = rot >> 30u;
    var q: array<f32, 4>;
    var j = 0u;
    for (var t = 0u; t < 4u; t++) {
        if t == which {
            q[t] = m;
        } else {
            q[t] = abc[j];
            j++;
        }
    }
    for (var t = 0u; t < 4u; t++) {
        geometry[o + 4u + t] = q[t];
    }

    let col = verts[row + params.voff.w];
    var rgb = vec3<f32>(unorm_bits(col, 24u, 8u), unorm_bits(col, 16u, 8u), unorm_bits(col, 8u, 8u));
    if params.has_color != 0u {
        for (var k = 0u; k < 3u; k++) {
            rgb[k] = mix(cval(c, 12u + k), cval(c, 15u + k), rgb[k]);
        }
    }
    for (var k = 0u; k < 3u; k++) {
        geometry[o + 11u + k] = (rgb[k] - 0.5) / SH_C0;
    }
    let a = clamp(unorm_bits(col, 0u, 8u), OPACITY_EPS, 1.0 - OPACITY_EPS);
    geometry[o + 3u] = clamp(log(a) - log(1.0 - a), LOGIT_MIN, LOGIT_MAX);
    geometry[o + 14u] = 0.0;
    geometry[o + 15u] = 0.0;

    let nr = params.rest * 3u;
    if params.sh_stride != 0u {
        let base = i * params.sh_stride;
        for (var ch = 0u; ch < 3u; ch++) {
            for (var k = 0u; k < params.rest; k++) {
                let qb = read_byte(base + ch * params.rest + k);
                var v = (f32(qb) + 0.5) / 256.0;
                if qb == 0u {
                    v = 0.0;
                } else if qb == 255u {
                    v = 1.0;
                }
                sh_rest[i * nr + k * 3u + ch] = (v - 0.5) * 8.0;
            }
        }
    }
}
