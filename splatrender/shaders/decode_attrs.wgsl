// Float attribute decoder (runtime path): INRIA 3DGS PLY rows in any property order
// and glTF KHR_gaussian_splatting float accessors. Python gives, per output slot, the
// input segment, the byte offset of splat 0 in it and the byte stride between splats
// (rows need not be 4-byte aligned), or MISSING and a default value.
// Slots (numbers from formats/runtime/common.py): mean xyz, opacity, quat w x y z,
// scale xyz, SH DC rgb, then SH rest in pool order (coefficient-major, rgb inner).
// Twins: formats/ply.py (_gaussians) and formats/gltf.py (_primitive).

// #import decode_common

const SLOTS: u32 = 60u;
const MISSING: u32 = 0xffffffffu;
const SLOT_MEAN: u32 = 0u;
const SLOT_OPACITY: u32 = 3u;
const SLOT_QUAT: u32 = 4u;
const SLOT_SCALE: u32 = 8u;
const SLOT_DC: u32 = 11u;
const SLOT_REST: u32 = 14u;

@group(0) @binding(3) var<uniform> params: AttrParams;  // shaders/layout.py
// stats (decode_common): STAT_OUTSIDE finite opacities outside [0, 1], STAT_FINITE
// finite opacities, for the PLY "auto" opacity mode.
const STAT_OUTSIDE: u32 = 1u;
const STAT_FINITE: u32 = 2u;

var<workgroup> wg_outside: atomic<u32>;
var<workgroup> wg_finite: atomic<u32>;

fn slot(i: u32, s: u32) -> f32 {
    let off = params.offset[s / 4u][s % 4u];
    if off == MISSING {
        return params.dflt[s / 4u][s % 4u];
    }
    let seg = params.seg_of[s / 4u][s % 4u];
    return f32_at(seg_byte(params.c, seg) + off + i * params.stride[s / 4u][s % 4u]);
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    if li == 0u {
        atomicStore(&wg_outside, 0u);
        atomicStore(&wg_finite, 0u);
    }
    workgroupBarrier();
    let i = splat_index(gid, params.c);
    if i < params.c.count {
        var ok = true;
        for (var f = 0u; f < params.c.sh_floats; f++) {
            var v = 0.0;
            if f < params.file_sh {
                v = slot(i, SLOT_REST + f);
                ok = ok && is_finite(v);
            }
            write_sh(params.c, i, f, v);
        }
        let mean = vec3<f32>(slot(i, SLOT_MEAN), slot(i, SLOT_MEAN + 1u), slot(i, SLOT_MEAN + 2u));
        var opacity = slot(i, SLOT_OPACITY);
        if params.count_opacity != 0u && is_finite(opacity) {
            atomicAdd(&wg_finite, 1u);
            if opacity < 0.0 || opacity > 1.0 {
                atomicAdd(&wg_outside, 1u);
            }
        }
        if params.opacity_linear != 0u && !is_nan(opacity) {
            opacity = logit(opacity);
        }
        let q = SLOT_QUAT;
        let quat = vec4<f32>(slot(i, q), slot(i, q + 1u), slot(i, q + 2u), slot(i, q + 3u));
        var ls = vec3<f32>(slot(i, SLOT_SCALE), slot(i, SLOT_SCALE + 1u), slot(i, SLOT_SCALE + 2u));
        if params.scale_linear != 0u {
            ls = log(ls);
            for (var k = 0u; k < 3u; k++) {
                let s = slot(i, SLOT_SCALE + k);
                ok = ok && s > 0.0 && !is_nan(s);  // log of <= 0 is -inf/NaN: dropped
            }
        }
        var dc = vec3<f32>(slot(i, SLOT_DC), slot(i, SLOT_DC + 1u), slot(i, SLOT_DC + 2u));
        if params.dc_rgb != 0u {
            dc = vec3<f32>(rgb_to_dc(dc.x), rgb_to_dc(dc.y), rgb_to_dc(dc.z));
        }
        _ = store_splat(params.c, i, ok, mean, opacity, quat, ls, dc);  // SH written above
    }
    workgroupBarrier();
    if li == 0u && params.count_opacity != 0u {
        let n_out = atomicLoad(&wg_outside);
        let n_fin = atomicLoad(&wg_finite);
        if n_out != 0u {
            atomicAdd(&stats[STAT_OUTSIDE], n_out);
        }
        if n_fin != 0u {
            atomicAdd(&stats[STAT_FINITE], n_fin);
        }
    }
}

// PLY "auto" opacity: every finite opacity was in [0, 1] (written after the sigmoid,
// HY-World 2.0 style), so turn the stored values into logits. Values outside [0, 1]
// can only be invisible splats (stored at the low clamp) and stay as they are.
@compute @workgroup_size(WORKGROUP)
fn linear_opacity(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = splat_index(gid, params.c);
    if i >= params.c.count {
        return;
    }
    let o = (params.c.out_base + i) * GEOM_FLOATS + GEOM_OPACITY;
    let p = geometry[o];
    if p >= 0.0 && p <= 1.0 {
        geometry[o] = clamp(logit(p), LOGIT_MIN, LOGIT_MAX);
    } else if p == LOGIT_MAX {
        geometry[o] = logit(1.0);  // +inf stored opacity, as the numpy reader's logit(inf)
    }
}
