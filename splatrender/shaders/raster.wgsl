// Tile rasterizer: one workgroup per 16x16 tile, front to back over the tile's
// depth-sorted splats, loaded in shared-memory batches. Each thread blends ROWS
// pixels of one column (a splat loaded from shared memory serves ROWS pixels, which
// is what makes CPU adapters fast). A pixel stops once its transmittance would fall
// under T_MIN; the tile stops once all pixels have. Twin: reference/raster.py.
// #import frame
// #import dispatch

const TILE_SIZE: u32 = 16u;
const ROWS: u32 = 4u;        // pixels per thread, stacked vertically
const THREADS_Y: u32 = 4u;   // TILE_SIZE / ROWS
const THREADS: u32 = 64u;    // TILE_SIZE * THREADS_Y
const BATCH: u32 = 256u;
const PROJ_FLOATS: u32 = 9u;
const ALPHA_MAX: f32 = 0.99;
const ALPHA_MIN: f32 = 0.00392156862745098;  // 1/255
const T_MIN: f32 = 0.0001;

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var<storage, read> ranges: array<u32>;
@group(0) @binding(2) var<storage, read> pair_vals: array<u32>;
@group(0) @binding(3) var<storage, read> projected: array<f32>;
@group(0) @binding(4) var<storage, read_write> out_rgba8: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_f32: array<vec4<f32>>;

var<workgroup> s_xy_opacity: array<vec4<f32>, BATCH>;
var<workgroup> s_conic: array<vec4<f32>, BATCH>;
var<workgroup> s_color: array<vec4<f32>, BATCH>;
var<workgroup> s_range: vec2<u32>;
var<workgroup> s_done: atomic<u32>;
var<workgroup> s_all_done: u32;

@compute @workgroup_size(TILE_SIZE, THREADS_Y)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid3: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let width = frame.size.x;
    let height = frame.size.y;
    let tile = linear_group(wid, nwg);
    if (tile >= frame.size.z * frame.size.w) {
        return;  // padding of a 2D grid (uniform across the workgroup)
    }
    let px = (tile % frame.size.z) * TILE_SIZE + lid3.x;
    let py0 = (tile / frame.size.z) * TILE_SIZE + lid3.y;
    if (lid == 0u) {
        s_range = vec2<u32>(ranges[2u * tile], ranges[2u * tile + 1u]);
        atomicStore(&s_done, 0u);
    }
    // Loop bounds must be workgroup-uniform for the barriers inside the loop.
    let range = workgroupUniformLoad(&s_range);
    var t: array<f32, ROWS>;
    var color: array<vec3<f32>, ROWS>;
    var done: array<bool, ROWS>;
    var ndone = 0u;
    for (var r = 0u; r < ROWS; r++) {
        t[r] = 1.0;
        color[r] = vec3<f32>(0.0);
        done[r] = !(px < width && py0 + r * THREADS_Y < height);
        ndone += select(0u, 1u, done[r]);
    }
    atomicAdd(&s_done, ndone);
    var live_rows = ROWS - ndone;
    let fx = f32(px) + 0.5;
    for (var base = range.x; base < range.y; base += BATCH) {
        for (var q = 0u; q < BATCH / THREADS; q++) {
            let l = lid + q * THREADS;
            let k = base + l;
            if (k < range.y) {
                let o = pair_vals[k] * PROJ_FLOATS;
                s_xy_opacity[l] = vec4<f32>(projected[o], projected[o + 1u], projected[o + 8u], 0.0);
                s_conic[l] = vec4<f32>(projected[o + 2u], projected[o + 3u], projected[o + 4u], 0.0);
                s_color[l] = vec4<f32>(projected[o + 5u], projected[o + 6u], projected[o + 7u], 0.0);
            }
        }
        workgroupBarrier();
        let n = min(BATCH, range.y - base);
        // Branch-free blending keeps SIMD lanes (CPU adapters) and GPU threads in step.
        var stops = 0u;
        for (var j = 0u; j < n; j++) {
            let xyo = s_xy_opacity[j];
            let cn = s_conic[j];
            let col = s_color[j].xyz;
            if (live_rows == 0u) {
                break;  // all of this thread's pixels are done (a whole SIMD group skips)
            }
            let dx = xyo.x - fx;
            let hx = 0.5 * cn.x * dx * dx;
            for (var r = 0u; r < ROWS; r++) {
                let dy = xyo.y - (f32(py0 + r * THREADS_Y) + 0.5);
                let sigma = hx + 0.5 * cn.z * dy * dy + cn.y * dx * dy;
                let alpha_raw = min(ALPHA_MAX, xyo.z * exp(-sigma));
                let alpha = select(0.0, alpha_raw, sigma >= 0.0 && alpha_raw >= ALPHA_MIN);
                let next_t = t[r] * (1.0 - alpha);
                let stop = !done[r] && next_t < T_MIN;
                stops += select(0u, 1u, stop);
                live_rows -= select(0u, 1u, stop);
                done[r] = done[r] || stop;
                color[r] += col * select(alpha * t[r], 0.0, done[r]);
                t[r] = select(next_t, t[r], done[r]);
            }
        }
        if (stops > 0u) {
            atomicAdd(&s_done, stops);
        }
        workgroupBarrier();
        if (lid == 0u) {
            s_all_done = atomicLoad(&s_done);
        }
        if (workgroupUniformLoad(&s_all_done) == TILE_SIZE * TILE_SIZE) {
            break;
        }
    }
    for (var r = 0u; r < ROWS; r++) {
        let py = py0 + r * THREADS_Y;
        if (px < width && py < height) {
            let c = color[r] + t[r] * frame.background.xyz;
            let p = py * width + px;
            out_rgba8[p] = pack4x8unorm(vec4<f32>(c, 1.0));
            if (frame.caps.z != 0u) {
                out_f32[p] = vec4<f32>(c, t[r]);
            }
        }
    }
}
