// Per-frame uniforms shared by the projection, binning and raster passes.
// Layout mirrored by render/frame_uniforms.py (the single writer of this struct).
struct FrameUniforms {
    view: mat4x4<f32>,      // world-to-camera (camera: x right, y down, z forward)
    campos: vec4<f32>,      // camera centre in world (xyz)
    focal: vec4<f32>,       // fx, fy, cx, cy in pixels
    clip: vec4<f32>,        // near, far, tan-fov clamp x (1.3 rule), tan-fov clamp y
    clip_neg: vec4<f32>,    // negative-side clamps x, y (principal point off centre)
    background: vec4<f32>,  // rgb, unused
    size: vec4<u32>,        // width, height, tiles_x, tiles_y
    caps: vec4<u32>,        // visible capacity, pair capacity, write f32 debug image, unused
}

// Indices into the counters buffer (u32 each).
const COUNTER_VISIBLE: u32 = 0u;      // atomically incremented by projection
const COUNTER_VISIBLE_EFF: u32 = 1u;  // min(visible, capacity)
const COUNTER_PAIRS: u32 = 2u;        // total splat-tile pairs (scan total)
const COUNTER_PAIRS_EFF: u32 = 3u;    // min(pairs, capacity)
