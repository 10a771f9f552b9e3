// Edits: SDF shapes that recolour or fade the splats whose centres they contain
// (scene/edits.py packs them; reference/edits.py is the twin). Imported by the
// projection pass, which evaluates each edit's weight once per splat at its world
// centre, then blends opacity early (before culling) and colour after the SH.

// #import layout

@group(0) @binding(7) var<uniform> edits: Edits;

// Signed distance (scene units, negative inside) from the shape's local frame.
fn shape_distance(s: u32, world: vec3<f32>) -> f32 {
    let p = (edits.to_shape[s] * vec4<f32>(world, 1.0)).xyz;
    let r = edits.size[s].xyz;
    switch (edits.kind[s].x) {
        case EDIT_SPHERE: {
            return length(p) - r.x;
        }
        case EDIT_BOX: {
            let q = abs(p) - r;
            return length(max(q, vec3<f32>(0.0))) + min(max(q.x, max(q.y, q.z)), 0.0);
        }
        case EDIT_ELLIPSOID: {
            // The usual bound k0 (k0 - 1) / k1: exact on the surface, close near it.
            let k0 = length(p / r);
            let k1 = length(p / (r * r));
            if (k1 == 0.0) {
                return -min(r.x, min(r.y, r.z));
            }
            return k0 * (k0 - 1.0) / k1;
        }
        case EDIT_CYLINDER: {
            // Axis along local y: radius r.x, half height r.y.
            let d = abs(vec2<f32>(length(p.xz), p.y)) - r.xy;
            return min(max(d.x, d.y), 0.0) + length(max(d, vec2<f32>(0.0)));
        }
        case EDIT_CAPSULE: {
            // Segment from -r.y to r.y on local y, radius r.x.
            return length(vec3<f32>(p.x, p.y - clamp(p.y, -r.y, r.y), p.z)) - r.x;
        }
        default: {
            return p.y;  // EDIT_PLANE: the half-space local y < 0
        }
    }
}

// How much edit e applies at a world point: 1 inside, 0 outside, a linear ramp over
// `softness` either side of the surface (a step when softness is 0).
fn edit_weight(e: u32, world: vec3<f32>) -> f32 {
    let info = edits.edit[e];
    var d = 1e30f;  // above any distance (f32 max is not a portable literal: Tint rejects it)
    for (var s = info.x; s < info.x + info.y; s += 1u) {
        d = min(d, shape_distance(s, world));
    }
    if (info.w != 0u) {
        d = -d;
    }
    let soft = edits.softness[e].x;
    if (soft > 0.0) {
        return clamp(0.5 - 0.5 * d / soft, 0.0, 1.0);
    }
    return select(0.0, 1.0, d <= 0.0);
}

fn edited_opacity(opacity: f32, weights: array<f32, MAX_EDITS>) -> f32 {
    if (edits.counts.x == 0u) {
        return opacity;
    }
    var o = opacity;
    for (var e = 0u; e < edits.counts.x; e += 1u) {
        let w = weights[e];
        let c = edits.color[e];
        switch (edits.edit[e].z) {
            case EDIT_MULTIPLY: {
                o *= mix(1.0, c.a, w);
            }
            case EDIT_ADD_RGBA: {
                o += c.a * w;
            }
            default: {}
        }
    }
    return clamp(o, 0.0, 1.0);
}

fn edited_color(color: vec3<f32>, weights: array<f32, MAX_EDITS>) -> vec3<f32> {
    if (edits.counts.x == 0u) {
        return color;
    }
    var rgb = color;
    for (var e = 0u; e < edits.counts.x; e += 1u) {
        let w = weights[e];
        let c = edits.color[e].rgb;
        switch (edits.edit[e].z) {
            case EDIT_MULTIPLY: {
                rgb *= mix(vec3<f32>(1.0), c, w);
            }
            case EDIT_SET_RGB: {
                rgb = mix(rgb, c, w);
            }
            default: {
                rgb += c * w;
            }
        }
    }
    return max(rgb, vec3<f32>(0.0));
}
