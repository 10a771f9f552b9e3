// The tile rasterizer's blend, shared by its kernels (raster.wgsl: `main` for GPUs,
// `main_direct` for CPU adapters; raster_subgroup.wgsl: `main_subgroup` for lavapipe).
// One workgroup per tile walks the tile's depth-sorted splats front to back. Each thread
// blends GROUPS x 4 pixels of one column, four rows per vec4 (one splat read serves
// them all). The state lives in named vec4s, never in arrays indexed by a loop counter:
// SwiftShader's Subzero JIT (Chrome's WebGPU without a GPU) neither unrolls loops nor
// promotes such arrays to registers, and was 2x+ slower with them. A pixel stops once
// its transmittance would fall under T_MIN; a thread stops once all its pixels have.
// STATS (a separate pipeline, never the one that draws frames): per tile, the
// splat-pixel evaluations each pixel made until it stopped, the blends, the evaluations
// the threads ran while they had live pixels and the tile's list length, added into
// `stats` (cleared before; render/raster.py reads them).
// Twin: reference/raster.py.
// #import layout
// #import dispatch

const TILE_SIZE: u32 = 16u;
const GROUPS: u32 = 1u;      // vec4 row groups per thread (1 or 2)
const THREADS_Y: u32 = 4u;   // TILE_SIZE / (4 * GROUPS)
const STATS: bool = false;     // count evaluations into `stats`
const STATS_WORDS: u32 = 8u;   // u32 per tile in `stats` (render/raster.py STAT_FIELDS)

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var<storage, read> ranges: array<u32>;
@group(0) @binding(2) var<storage, read> pair_vals: array<u32>;
@group(0) @binding(3) var<storage, read> projected: array<f32>;
@group(0) @binding(4) var<storage, read_write> out_rgba8: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_f32: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> stats: array<atomic<u32>>;

// Four pixels of one column: transmittance, colour per channel, finished flags.
struct Rows {
    t: vec4<f32>,
    r: vec4<f32>,
    g: vec4<f32>,
    b: vec4<f32>,
    done: vec4<bool>,
}

fn start_rows(py: vec4<u32>, px_ok: bool) -> Rows {
    return Rows(vec4<f32>(1.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0),
                !(vec4<bool>(px_ok) & (py < vec4<u32>(frame.size.y))));
}

fn count(b: vec4<bool>) -> u32 {
    return dot(select(vec4<u32>(0u), vec4<u32>(1u), b), vec4<u32>(1u));
}

// A splat's record as the blend reads it: centre and opacity, conic, colour.
struct Splat {
    xyo: vec4<f32>,
    cn: vec4<f32>,
    col: vec4<f32>,
}

fn load_splat(v: u32) -> Splat {
    let o = v * PROJ_FLOATS;
    let xy = o + PROJ_XY;
    let cn = o + PROJ_CONIC;
    let col = o + PROJ_COLOR;
    return Splat(
        vec4<f32>(projected[xy], projected[xy + 1u], projected[o + PROJ_OPACITY], 0.0),
        vec4<f32>(projected[cn], projected[cn + 1u], projected[cn + 2u], 0.0),
        vec4<f32>(projected[col], projected[col + 1u], projected[col + 2u], 0.0),
    );
}

// One splat blended into four rows (branch-free, so SIMD lanes stay in step).
fn blend(rows: Rows, sp: Splat, dx: f32, hx: f32, fy: vec4<f32>) -> Rows {
    let dy = vec4<f32>(sp.xyo.y) - fy;
    let sigma = vec4<f32>(hx) + 0.5 * sp.cn.z * dy * dy + sp.cn.y * dx * dy;
    let alpha_raw = min(vec4<f32>(ALPHA_MAX), sp.xyo.z * exp(-sigma));
    let alpha = select(vec4<f32>(0.0), alpha_raw,
                       (sigma >= vec4<f32>(0.0)) & (alpha_raw >= vec4<f32>(ALPHA_MIN)));
    let next_t = rows.t * (vec4<f32>(1.0) - alpha);
    let done = rows.done | (next_t < vec4<f32>(T_MIN));
    let w = select(alpha * rows.t, vec4<f32>(0.0), done);
    return Rows(select(next_t, rows.t, done), rows.r + sp.col.x * w, rows.g + sp.col.y * w,
                rows.b + sp.col.z * w, done);
}

// A thread's pixels: column px of its tile; row r of the thread is py0 + r * THREADS_Y,
// group a holding rows 0-3 and b rows 4-7 (GROUPS = 2); its tile's list range.
struct Pixels {
    px: u32,
    py_a: vec4<u32>,
    py_b: vec4<u32>,
    fx: f32,
    fy_a: vec4<f32>,
    fy_b: vec4<f32>,
    range: vec2<u32>,
}

fn pixels_of(tile: u32, lid3: vec3<u32>) -> Pixels {
    let px = (tile % frame.size.z) * TILE_SIZE + lid3.x;
    let py0 = (tile / frame.size.z) * TILE_SIZE + lid3.y;
    let py_a = vec4<u32>(py0) + vec4<u32>(0u, 1u, 2u, 3u) * THREADS_Y;
    let py_b = py_a + vec4<u32>(4u * THREADS_Y);
    return Pixels(px, py_a, py_b, f32(px) + 0.5, vec4<f32>(py_a) + 0.5, vec4<f32>(py_b) + 0.5,
                  tile_range(tile));
}

// Workgroup-uniform (read-only storage at a uniform index). Kernels with barriers take
// it from here, not from Pixels: a uniformity analysis sees that struct as per thread.
fn tile_range(tile: u32) -> vec2<u32> {
    return vec2<u32>(ranges[2u * tile], ranges[2u * tile + 1u]);
}

// STATS of a thread: where each row stopped (the list index after its stopping splat;
// the list's end if none did), blends that changed a row, rows evaluated while live.
struct Stat {
    stop_a: vec4<u32>,
    stop_b: vec4<u32>,
    blends: u32,
    work: u32,
}

// A thread's blend state.
struct Thread {
    a: Rows,
    b: Rows,
    live: u32,  // rows not yet done
    st: Stat,
}

fn start_thread(p: Pixels) -> Thread {
    let a = start_rows(p.py_a, p.px < frame.size.x);
    let b = start_rows(p.py_b, p.px < frame.size.x && GROUPS > 1u);
    let end = vec4<u32>(p.range.y);
    return Thread(a, b, count(!a.done) + count(!b.done), Stat(end, end, 0u, 0u));
}

// Blend splat k of the tile's list into the thread's rows; returns the rows it stopped.
fn blend_splat(th: ptr<function, Thread>, p: Pixels, sp: Splat, k: u32) -> u32 {
    let was = *th;
    let dx = sp.xyo.x - p.fx;
    let hx = 0.5 * sp.cn.x * dx * dx;
    let a = blend(was.a, sp, dx, hx, p.fy_a);
    (*th).a = a;
    var b = was.b;
    if (GROUPS > 1u) {
        b = blend(was.b, sp, dx, hx, p.fy_b);
        (*th).b = b;
    }
    let stop_a = a.done & !was.a.done;
    let stop_b = b.done & !was.b.done;
    let s = count(stop_a) + count(stop_b);
    (*th).live -= s;
    if (STATS) {
        let k1 = vec4<u32>(k + 1u);
        (*th).st.work += select(0u, 4u * GROUPS, was.live > 0u);
        (*th).st.blends += count(a.t != was.a.t) + count(b.t != was.b.t);
        (*th).st.stop_a = select(was.st.stop_a, k1, stop_a);
        (*th).st.stop_b = select(was.st.stop_b, k1, stop_b);
    }
    return s;
}

fn write_rows(rows: Rows, px: u32, py: vec4<u32>) {
    let width = frame.size.x;
    for (var k = 0u; k < 4u; k++) {
        if (px < width && py[k] < frame.size.y) {
            let t = rows.t[k];
            let c = vec3<f32>(rows.r[k], rows.g[k], rows.b[k]) + t * frame.background.xyz;
            let p = py[k] * width + px;
            out_rgba8[p] = pack4x8unorm(vec4<f32>(c, 1.0));
            if (frame.caps.z != 0u) {
                out_f32[p] = vec4<f32>(c, t);
            }
        }
    }
}

// The thread's pixels out, and its STATS counts added to its tile's words.
fn finish(th: Thread, p: Pixels, tile: u32) {
    write_rows(th.a, p.px, p.py_a);
    if (GROUPS > 1u) {
        write_rows(th.b, p.px, p.py_b);
    }
    if (STATS) {
        let start = start_thread(p);
        let begin = vec4<u32>(p.range.x);
        let from_a = select(vec4<u32>(0u), th.st.stop_a - begin, !start.a.done);
        let from_b = select(vec4<u32>(0u), th.st.stop_b - begin, !start.b.done);
        let at = tile * STATS_WORDS;
        atomicAdd(&stats[at], dot(from_a + from_b, vec4<u32>(1u)));
        atomicAdd(&stats[at + 1u], th.st.blends);
        atomicAdd(&stats[at + 2u], th.st.work);
        atomicMax(&stats[at + 3u], th.st.work);
        atomicMax(&stats[at + 4u], p.range.y - p.range.x);
    }
}
