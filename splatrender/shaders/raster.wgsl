// Tile rasterizer, the kernels without subgroups (raster_blend.wgsl holds the blend):
// `main` loads each tile's splats into workgroup memory in batches (GPUs), `main_direct`
// reads them straight from storage (CPU adapters without subgroups, e.g. SwiftShader).
// #import raster_blend

const THREADS: u32 = 64u;    // TILE_SIZE * THREADS_Y
const BATCH: u32 = 256u;

var<workgroup> s_xy_opacity: array<vec4<f32>, BATCH>;
var<workgroup> s_conic: array<vec4<f32>, BATCH>;
var<workgroup> s_color: array<vec4<f32>, BATCH>;
var<workgroup> s_done: atomic<u32>;
var<workgroup> s_all_done: u32;

@compute @workgroup_size(TILE_SIZE, THREADS_Y)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid3: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let tile = linear_group(wid, nwg);
    if (tile >= frame.size.z * frame.size.w) {
        return;  // padding of a 2D grid (uniform across the workgroup)
    }
    // The range is workgroup-uniform, as the barriers in the loop need. Barriers are what
    // a CPU adapter pays most for per tile (a coroutine switch per SIMD group on
    // SwiftShader), so a tile's last batch skips them.
    let range = tile_range(tile);
    let p = pixels_of(tile, lid3);
    if (lid == 0u) {
        atomicStore(&s_done, 0u);  // the adds come after the loop's first barrier
    }
    var th = start_thread(p);
    var stops = 4u * GROUPS - th.live;  // pixels done but not yet added to s_done
    for (var base = range.x; base < range.y; base += BATCH) {
        for (var q = 0u; q < BATCH / THREADS; q++) {
            let l = lid + q * THREADS;
            if (base + l < range.y) {
                let sp = load_splat(pair_vals[base + l]);
                s_xy_opacity[l] = sp.xyo;
                s_conic[l] = sp.cn;
                s_color[l] = sp.col;
            }
        }
        workgroupBarrier();
        let n = min(BATCH, range.y - base);
        for (var j = 0u; j < n; j++) {
            if (th.live == 0u) {
                break;  // all of this thread's pixels are done (a whole SIMD group skips)
            }
            let sp = Splat(s_xy_opacity[j], s_conic[j], s_color[j]);
            stops += blend_splat(&th, p, sp, base + j);
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
    finish(th, p, tile);
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
    let tile = linear_group(wid, nwg);
    if (tile >= frame.size.z * frame.size.w) {
        return;
    }
    let p = pixels_of(tile, lid3);
    var th = start_thread(p);
    for (var k = p.range.x; k < p.range.y; k++) {
        if (th.live == 0u) {
            break;
        }
        blend_splat(&th, p, load_splat(pair_vals[k]), k);
    }
    finish(th, p, tile);
}
