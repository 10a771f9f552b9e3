// Tile rasterizer: one workgroup per tile, front to back over the tile's depth-sorted
// splats, loaded in shared-memory batches. Each thread blends GROUPS x 4 pixels of one
// column, four rows per vec4 (a splat read from shared memory serves them all). The
// state lives in named vec4s, never in arrays indexed by a loop counter: SwiftShader's
// Subzero JIT (Chrome's WebGPU without a GPU) neither unrolls loops nor promotes such
// arrays to registers, and was 2x+ slower with them. A pixel stops once its
// transmittance would fall under T_MIN; the tile stops once all pixels have.
// STATS (a separate pipeline, never the one that draws frames): per tile, the
// splat-pixel evaluations each pixel made until it stopped, the blends, the evaluations
// the threads ran and the tile's list length, into `stats` (render/raster.py reads them).
// Twin: reference/raster.py.
// #import layout
// #import dispatch

const TILE_SIZE: u32 = 16u;
const GROUPS: u32 = 1u;      // vec4 row groups per thread (1 or 2)
const THREADS_Y: u32 = 4u;   // TILE_SIZE / (4 * GROUPS)
const THREADS: u32 = 64u;    // TILE_SIZE * THREADS_Y
const BATCH: u32 = 256u;
const STATS: bool = false;     // count evaluations into `stats`
const STATS_WORDS: u32 = 8u;   // u32 per tile in `stats` (render/raster.py STAT_FIELDS)

@group(0) @binding(0) var<uniform> frame: FrameUniforms;
@group(0) @binding(1) var<storage, read> ranges: array<u32>;
@group(0) @binding(2) var<storage, read> pair_vals: array<u32>;
@group(0) @binding(3) var<storage, read> projected: array<f32>;
@group(0) @binding(4) var<storage, read_write> out_rgba8: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_f32: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> stats: array<u32>;

var<workgroup> s_xy_opacity: array<vec4<f32>, BATCH>;
var<workgroup> s_conic: array<vec4<f32>, BATCH>;
var<workgroup> s_color: array<vec4<f32>, BATCH>;
var<workgroup> s_done: atomic<u32>;
var<workgroup> s_all_done: u32;
var<workgroup> s_stats: array<atomic<u32>, 4>;

// Four pixels of one column: transmittance, colour per channel, finished flags.
struct Rows {
    t: vec4<f32>,
    r: vec4<f32>,
    g: vec4<f32>,
    b: vec4<f32>,
    done: vec4<bool>,
}

fn start_rows(py: vec4<u32>, px_ok: bool, height: u32) -> Rows {
    return Rows(vec4<f32>(1.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0),
                !(vec4<bool>(px_ok) & (py < vec4<u32>(height))));
}

fn count(b: vec4<bool>) -> u32 {
    return dot(select(vec4<u32>(0u), vec4<u32>(1u), b), vec4<u32>(1u));
}

// Blend one splat into four rows (branch-free, so SIMD lanes stay in step); returns
// how many of them stopped just now.
fn blend(rows: ptr<function, Rows>, xyo: vec4<f32>, cn: vec4<f32>, col: vec4<f32>,
         dx: f32, hx: f32, fy: vec4<f32>) -> u32 {
    let dy = vec4<f32>(xyo.y) - fy;
    let sigma = vec4<f32>(hx) + 0.5 * cn.z * dy * dy + cn.y * dx * dy;
    let alpha_raw = min(vec4<f32>(ALPHA_MAX), xyo.z * exp(-sigma));
    let alpha = select(vec4<f32>(0.0), alpha_raw,
                       (sigma >= vec4<f32>(0.0)) & (alpha_raw >= vec4<f32>(ALPHA_MIN)));
    let t = (*rows).t;
    let next_t = t * (vec4<f32>(1.0) - alpha);
    let stop = !(*rows).done & (next_t < vec4<f32>(T_MIN));
    let done = (*rows).done | stop;
    let w = select(alpha * t, vec4<f32>(0.0), done);
    (*rows).r += col.x * w;
    (*rows).g += col.y * w;
    (*rows).b += col.z * w;
    (*rows).t = select(next_t, t, done);
    (*rows).done = done;
    return count(stop);
}

// STATS of one vec4 group: where each row stopped (the list index after its stopping
// splat; the list's end if none did), blends that changed a row, rows evaluated.
struct Stat {
    stop_at: vec4<u32>,
    blends: u32,
    work: u32,
}

fn note(st: ptr<function, Stat>, before: Rows, after: Rows, k: u32) {
    (*st).work += 4u;
    (*st).blends += count(after.t != before.t);
    (*st).stop_at = select((*st).stop_at, vec4<u32>(k + 1u), after.done & !before.done);
}

fn write_rows(rows: Rows, px: u32, py: vec4<u32>, width: u32, height: u32) {
    for (var k = 0u; k < 4u; k++) {
        if (px < width && py[k] < height) {
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
    // Workgroup-uniform (read-only storage at a uniform index), as the barriers in the
    // loop need. Barriers are what a CPU adapter pays most for per tile (a coroutine
    // switch per SIMD group on SwiftShader), so a tile's last batch skips them.
    let range = vec2<u32>(ranges[2u * tile], ranges[2u * tile + 1u]);
    if (lid == 0u) {
        atomicStore(&s_done, 0u);  // the adds come after the loop's first barrier
        if (STATS) {
            for (var i = 0u; i < 4u; i++) {
                atomicStore(&s_stats[i], 0u);
            }
        }
    }
    // Row r of this thread is py0 + r * THREADS_Y; group a holds rows 0-3, b rows 4-7.
    let step = vec4<u32>(0u, 1u, 2u, 3u) * THREADS_Y;
    let py_a = vec4<u32>(py0) + step;
    let py_b = py_a + vec4<u32>(4u * THREADS_Y);
    let fy_a = vec4<f32>(py_a) + 0.5;
    let fy_b = vec4<f32>(py_b) + 0.5;
    var a = start_rows(py_a, px < width, height);
    var b = start_rows(py_b, px < width && GROUPS > 1u, height);
    let valid_a = !a.done;
    let valid_b = !b.done;
    var live_rows = count(valid_a) + select(0u, count(valid_b), GROUPS > 1u);
    var stops = 4u * GROUPS - live_rows;  // pixels done but not yet added to s_done
    let fx = f32(px) + 0.5;
    var st_a = Stat(vec4<u32>(range.y), 0u, 0u);
    var st_b = st_a;
    for (var base = range.x; base < range.y; base += BATCH) {
        for (var q = 0u; q < BATCH / THREADS; q++) {
            let l = lid + q * THREADS;
            let k = base + l;
            if (k < range.y) {
                let o = pair_vals[k] * PROJ_FLOATS;
                let xy = o + PROJ_XY;
                let cn = o + PROJ_CONIC;
                let col = o + PROJ_COLOR;
                s_xy_opacity[l] = vec4<f32>(projected[xy], projected[xy + 1u], projected[o + PROJ_OPACITY], 0.0);
                s_conic[l] = vec4<f32>(projected[cn], projected[cn + 1u], projected[cn + 2u], 0.0);
                s_color[l] = vec4<f32>(projected[col], projected[col + 1u], projected[col + 2u], 0.0);
            }
        }
        workgroupBarrier();
        let n = min(BATCH, range.y - base);
        for (var j = 0u; j < n; j++) {
            if (live_rows == 0u) {
                break;  // all of this thread's pixels are done (a whole SIMD group skips)
            }
            let xyo = s_xy_opacity[j];
            let cn = s_conic[j];
            let col = s_color[j];
            let dx = xyo.x - fx;
            let hx = 0.5 * cn.x * dx * dx;
            let before_a = a;
            var s = blend(&a, xyo, cn, col, dx, hx, fy_a);
            if (STATS) {
                note(&st_a, before_a, a, base + j);
            }
            if (GROUPS > 1u) {
                let before_b = b;
                s += blend(&b, xyo, cn, col, dx, hx, fy_b);
                if (STATS) {
                    note(&st_b, before_b, b, base + j);
                }
            }
            stops += s;
            live_rows -= s;
        }
        if (base + BATCH >= range.y) {
            break;  // the last batch (uniform): no one waits for it
        }
        if (stops > 0u) {
            atomicAdd(&s_done, stops);
            stops = 0u;
        }
        workgroupBarrier();
        if (lid == 0u) {
            s_all_done = atomicLoad(&s_done);
        }
        if (workgroupUniformLoad(&s_all_done) == TILE_SIZE * TILE_SIZE) {
            break;
        }
    }
    write_rows(a, px, py_a, width, height);
    if (GROUPS > 1u) {
        write_rows(b, px, py_b, width, height);
    }
    if (STATS) {
        let from_a = select(vec4<u32>(0u), st_a.stop_at - vec4<u32>(range.x), valid_a);
        let from_b = select(vec4<u32>(0u), st_b.stop_at - vec4<u32>(range.x), valid_b);
        var evals = dot(from_a, vec4<u32>(1u));
        if (GROUPS > 1u) {
            evals += dot(from_b, vec4<u32>(1u));
        }
        let work = st_a.work + st_b.work;
        atomicAdd(&s_stats[0], evals);
        atomicAdd(&s_stats[1], st_a.blends + st_b.blends);
        atomicAdd(&s_stats[2], work);
        atomicMax(&s_stats[3], work);
        workgroupBarrier();
        if (lid == 0u) {
            let at = tile * STATS_WORDS;
            for (var i = 0u; i < 4u; i++) {
                stats[at + i] = atomicLoad(&s_stats[i]);
            }
            stats[at + 4u] = range.y - range.x;
        }
    }
}

// CPU adapters: the same blend with no workgroup memory and no barrier. Each thread
// reads its tile's splats straight from `projected` (on a CPU that is the same RAM,
// and its caches serve the other threads) and stops when its own pixels have. A
// shader without barriers runs each SIMD group straight through on SwiftShader, with no
// coroutine switch per barrier; and where the WebGPU implementation zero-initialises
// workgroup memory itself (Tint in Chrome: a loop and one more barrier per workgroup),
// there is nothing to clear. Same splats, same order: the same image as `main`.
@compute @workgroup_size(TILE_SIZE, THREADS_Y)
fn main_direct(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid3: vec3<u32>,
) {
    let width = frame.size.x;
    let height = frame.size.y;
    let tile = linear_group(wid, nwg);
    if (tile >= frame.size.z * frame.size.w) {
        return;
    }
    let px = (tile % frame.size.z) * TILE_SIZE + lid3.x;
    let py0 = (tile / frame.size.z) * TILE_SIZE + lid3.y;
    let range = vec2<u32>(ranges[2u * tile], ranges[2u * tile + 1u]);
    let step = vec4<u32>(0u, 1u, 2u, 3u) * THREADS_Y;
    let py_a = vec4<u32>(py0) + step;
    let py_b = py_a + vec4<u32>(4u * THREADS_Y);
    let fy_a = vec4<f32>(py_a) + 0.5;
    let fy_b = vec4<f32>(py_b) + 0.5;
    var a = start_rows(py_a, px < width, height);
    var b = start_rows(py_b, px < width && GROUPS > 1u, height);
    var live_rows = count(!a.done) + select(0u, count(!b.done), GROUPS > 1u);
    let fx = f32(px) + 0.5;
    for (var k = range.x; k < range.y; k++) {
        if (live_rows == 0u) {
            break;
        }
        let o = pair_vals[k] * PROJ_FLOATS;
        let xy = o + PROJ_XY;
        let c = o + PROJ_CONIC;
        let cl = o + PROJ_COLOR;
        let xyo = vec4<f32>(projected[xy], projected[xy + 1u], projected[o + PROJ_OPACITY], 0.0);
        let cn = vec4<f32>(projected[c], projected[c + 1u], projected[c + 2u], 0.0);
        let col = vec4<f32>(projected[cl], projected[cl + 1u], projected[cl + 2u], 0.0);
        let dx = xyo.x - fx;
        let hx = 0.5 * cn.x * dx * dx;
        var s = blend(&a, xyo, cn, col, dx, hx, fy_a);
        if (GROUPS > 1u) {
            s += blend(&b, xyo, cn, col, dx, hx, fy_b);
        }
        live_rows -= s;
    }
    write_rows(a, px, py_a, width, height);
    if (GROUPS > 1u) {
        write_rows(b, px, py_b, width, height);
    }
}
