// Projection: cull, EWA-project, evaluate SH colour, and append each visible
// splat of one pool page to the frame's visible list. One thread per splat.
// Image formation follows the reference 3DGS model (reference/project.py twin).

// #import layout
// #import edits
// #import modifier
// #import tile_touch
// #import visible_slot

const TILE_SIZE: u32 = 16u;
const SH_DEGREE: u32 = 3u;
const SH_REST_FLOATS: u32 = 45u;
const ANTIALIASED: bool = false;
const HAS_MODIFIER: bool = false;  // the object has a modifier (shaders/modifier.wgsl)
const PLACED: bool = false;  // the page's object has a placement other than the identity
const HAS_EDITS: bool = false;  // the scene has edits (shaders/edits.wgsl)

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(2) var<storage, read_write> projected: array<f32>;
@group(0) @binding(3) var<storage, read_write> rects: array<u32>;
@group(0) @binding(4) var<storage, read_write> depth_keys: array<u32>;
@group(0) @binding(5) var<storage, read_write> depth_vals: array<u32>;
@group(0) @binding(6) var<storage, read_write> ids: array<u32>;
@group(1) @binding(0) var<uniform> page: Page;
@group(1) @binding(1) var<storage, read> geometry: array<f32>;
@group(1) @binding(2) var<storage, read> sh_rest: array<f32>;

fn quat_to_mat(q_in: vec4<f32>) -> mat3x3<f32> {
    let q = normalize(q_in);  // w, x, y, z
    let w = q.x;
    let x = q.y;
    let y = q.z;
    let z = q.w;
    // Columns of the rotation matrix.
    return mat3x3<f32>(
        vec3<f32>(1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y + w * z), 2.0 * (x * z - w * y)),
        vec3<f32>(2.0 * (x * y - w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z + w * x)),
        vec3<f32>(2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y)),
    );
}

fn sh_coeff(i: u32, k: u32) -> vec3<f32> {
    let o = i * SH_REST_FLOATS + (k - 1u) * 3u;
    return vec3<f32>(sh_rest[o], sh_rest[o + 1u], sh_rest[o + 2u]);
}

fn sh_color(i: u32, g: u32, dir: vec3<f32>) -> vec3<f32> {
    var c = SH_C0 * vec3<f32>(geometry[g + GEOM_DC], geometry[g + GEOM_DC + 1u], geometry[g + GEOM_DC + 2u]);
    if (SH_DEGREE > 0u) {
        let x = dir.x;
        let y = dir.y;
        let z = dir.z;
        c += -SH_C1 * y * sh_coeff(i, 1u) + SH_C1 * z * sh_coeff(i, 2u) - SH_C1 * x * sh_coeff(i, 3u);
        if (SH_DEGREE > 1u) {
            let xx = x * x;
            let yy = y * y;
            let zz = z * z;
            c += 1.0925484305920792 * x * y * sh_coeff(i, 4u)
                - 1.0925484305920792 * y * z * sh_coeff(i, 5u)
                + 0.31539156525252005 * (2.0 * zz - xx - yy) * sh_coeff(i, 6u)
                - 1.0925484305920792 * x * z * sh_coeff(i, 7u)
                + 0.5462742152960396 * (xx - yy) * sh_coeff(i, 8u);
            if (SH_DEGREE > 2u) {
                c += -0.5900435899266435 * y * (3.0 * xx - yy) * sh_coeff(i, 9u)
                    + 2.890611442640554 * x * y * z * sh_coeff(i, 10u)
                    - 0.4570457994644658 * y * (4.0 * zz - xx - yy) * sh_coeff(i, 11u)
                    + 0.3731763325901154 * z * (2.0 * zz - 3.0 * xx - 3.0 * yy) * sh_coeff(i, 12u)
                    - 0.4570457994644658 * x * (4.0 * zz - xx - yy) * sh_coeff(i, 13u)
                    + 1.445305721320277 * z * (xx - yy) * sh_coeff(i, 14u)
                    - 0.5900435899266435 * x * (xx - 3.0 * yy) * sh_coeff(i, 15u);
            }
        }
    }
    return max(c + 0.5, vec3<f32>(0.0));
}

// SH are evaluated in the object's frame: the view direction mapped back by A^-1.
fn view_dir(mean: vec3<f32>) -> vec3<f32> {
    let d = mean - frame.campos.xyz;
    if (PLACED) {
        let to_object = mat3x3<f32>(page.to_object[0].xyz, page.to_object[1].xyz, page.to_object[2].xyz);
        return normalize(to_object * d);
    }
    return normalize(d);
}

@compute @workgroup_size(WORKGROUP)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = (wid.y * nwg.x + wid.x) * WORKGROUP + lid;
    if (i >= page.count) {
        return;
    }
    let g = i * GEOM_FLOATS;
    let stored = vec3<f32>(geometry[g + GEOM_MEAN], geometry[g + GEOM_MEAN + 1u], geometry[g + GEOM_MEAN + 2u]);
    var mi: ModifierInput;
    var local = stored;
    if (HAS_MODIFIER) {
        mi.index = i;
        mi.time = frame.background.w;
        mi.local = vec4<f32>(stored, 1.0);
        mi.params = page.params;
        local = modify_position(stored, mi);
    }
    // The object's placement: world mean, and its linear part A applied to the covariance.
    var mean = local;
    if (PLACED) {
        mean = (page.model * vec4<f32>(local, 1.0)).xyz;
    }
    let pc = (frame.view * vec4<f32>(mean, 1.0)).xyz;
    if (!(pc.z >= frame.clip.x && pc.z <= frame.clip.y)) {
        return;
    }

    // 3D covariance R S S^T R^T, then into camera space.
    let q = GEOM_QUAT;
    let rot = quat_to_mat(vec4<f32>(geometry[g + q], geometry[g + q + 1u], geometry[g + q + 2u], geometry[g + q + 3u]));
    let ls = GEOM_LOG_SCALE;
    let s = exp(vec3<f32>(geometry[g + ls], geometry[g + ls + 1u], geometry[g + ls + 2u]));
    var m = mat3x3<f32>(rot[0] * s.x, rot[1] * s.y, rot[2] * s.z);
    if (PLACED) {
        m = mat3x3<f32>(page.model[0].xyz, page.model[1].xyz, page.model[2].xyz) * m;
    }
    let w = mat3x3<f32>(frame.view[0].xyz, frame.view[1].xyz, frame.view[2].xyz);
    let cov_c = w * (m * transpose(m)) * transpose(w);

    // EWA: Jacobian of the perspective map, with the 1.3 * tan(fov) clamp.
    let fx = frame.focal.x;
    let fy = frame.focal.y;
    let z = pc.z;
    let tx = z * clamp(pc.x / z, -frame.clip_neg.x, frame.clip.z);
    let ty = z * clamp(pc.y / z, -frame.clip_neg.y, frame.clip.w);
    // J as columns of a 3x2 matrix (WGSL matrices are column-major): J is 2x3.
    let j = mat3x2<f32>(
        vec2<f32>(fx / z, 0.0),
        vec2<f32>(0.0, fy / z),
        vec2<f32>(-fx * tx / (z * z), -fy * ty / (z * z)),
    );
    let cov2 = j * cov_c * transpose(j);
    var a = cov2[0][0];
    let b = cov2[1][0];
    var c = cov2[1][1];
    let det0 = a * c - b * b;
    // Merged LOD splats carry extra screen-space dilation (lod/merge.py).
    let dilation = EPS2D + geometry[g + GEOM_DILATION];
    a += dilation;
    c += dilation;
    let det = a * c - b * b;
    if (!(det > 0.0)) {
        return;
    }
    var opacity = page.opacity / (1.0 + exp(-geometry[g + GEOM_OPACITY]));
    var color = vec3<f32>(0.0);
    if (HAS_MODIFIER) {
        // The modifier may change opacity, so its colour is needed before the culls.
        let rgba = modify_color(vec4<f32>(sh_color(i, g, view_dir(mean)), opacity), mi);
        color = max(rgba.rgb, vec3<f32>(0.0));
        opacity = clamp(rgba.a, 0.0, 1.0);
    }
    var weights: array<f32, MAX_EDITS>;
    if (HAS_EDITS) {
        for (var e = 0u; e < edits.counts.x; e += 1u) {
            weights[e] = edit_weight(e, mean);
        }
        opacity = edited_opacity(opacity, weights);
    }
    if (ANTIALIASED) {
        opacity *= sqrt(max(det0 / det, 0.0));
    }
    if (!(opacity >= ALPHA_MIN)) {
        return;
    }
    let conic = vec3<f32>(c / det, -b / det, a / det);
    let mid = 0.5 * (a + c);
    let lam = mid + sqrt(max(0.01, mid * mid - det));
    let radius = ceil(3.0 * sqrt(lam));
    let xy = vec2<f32>(fx * pc.x / z + frame.focal.z, fy * pc.y / z + frame.focal.w);
    let wh = vec2<f32>(f32(frame.size.x), f32(frame.size.y));
    if (!(xy.x + radius > 0.0 && xy.x - radius < wh.x && xy.y + radius > 0.0 && xy.y - radius < wh.y)) {
        return;
    }
    // Tiles: the 3-sigma square, shrunk to the box of the ellipse where alpha can
    // reach 1/255 (outside it every pixel is skipped anyway, so the image is the same).
    let reach = 2.0 * log(max(opacity * 255.0, 1.0));
    let extent = min(vec2<f32>(radius), sqrt(reach * vec2<f32>(a, c)));
    let tiles = vec2<f32>(f32(frame.size.z), f32(frame.size.w));
    let tmin = clamp(floor((xy - extent) / f32(TILE_SIZE)), vec2<f32>(0.0), tiles);
    let tmax = clamp(ceil((xy + extent) / f32(TILE_SIZE)), vec2<f32>(0.0), tiles);
    if (!(tmax.x > tmin.x && tmax.y > tmin.y)) {
        return;
    }

    if (!HAS_MODIFIER) {
        color = sh_color(i, g, view_dir(mean));
    }
    if (HAS_EDITS) {
        color = edited_color(color, weights);
    }

    let idx = visible_slot();
    if (idx >= frame.caps.x) {
        return;  // over capacity: the renderer grows its buffers and draws again
    }
    let o = idx * PROJ_FLOATS;
    projected[o + PROJ_XY] = xy.x;
    projected[o + PROJ_XY + 1u] = xy.y;
    projected[o + PROJ_CONIC] = conic.x;
    projected[o + PROJ_CONIC + 1u] = conic.y;
    projected[o + PROJ_CONIC + 2u] = conic.z;
    projected[o + PROJ_COLOR] = color.x;
    projected[o + PROJ_COLOR + 1u] = color.y;
    projected[o + PROJ_COLOR + 2u] = color.z;
    projected[o + PROJ_OPACITY] = opacity;
    let r = vec4<u32>(vec2<u32>(tmin), vec2<u32>(tmax));
    let touched = touched_tiles(ellipse(xy, conic, reach), r, TILE_SIZE);
    let at = RECT_WORDS * idx;
    rects[at + RECT_LO] = r.x | (r.y << 16u);
    rects[at + RECT_HI] = r.z | (r.w << 16u);
    rects[at + RECT_MASK] = touched.y;
    rects[at + RECT_COUNT] = touched.x;
    // Depth is positive here, so its float bits sort as unsigned integers. A splat that
    // touches no tile sorts last (no positive float has these bits), so the pair blocks
    // of bin.wgsl's walk_block never step over it.
    depth_keys[idx] = select(bitcast<u32>(z), 0xffffffffu, touched.x == 0u);
    depth_vals[idx] = idx;
    ids[idx] = page.base + i;
}
