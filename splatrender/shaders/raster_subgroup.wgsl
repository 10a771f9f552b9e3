enable subgroups;
diagnostic(off, subgroup_uniformity);
// Tile rasterizer for CPU adapters with subgroups whose compiler runs every storage read
// lane by lane (lavapipe: llvmpipe reads storage inside any loop one lane at a time, so
// `main_direct`'s threads, which all read the same splat, paid its 9 words 8 times
// over). Here the lanes of a subgroup read CHUNK consecutive splats of the tile's list,
// one each, and subgroupBroadcast hands each splat to all lanes in turn: one read per
// splat instead of one per lane. Same splats, same order: the same image as `main`.
// CHUNK is at most the subgroup size (WebGPU's least is 4); a loop exits only when the
// whole subgroup agrees, since a broadcast needs every lane.
// Two phases: both row groups of each thread until one of them is done in every lane of
// the subgroup, then the other alone (procedural 1M at 1280x720: raster -7%); the live
// group is swapped into `a` so that phase 2 is `blend_splat_a`.
// #import raster_blend

const CHUNK: u32 = 4u;  // 4 or 8

// Blend the CHUNK splats from `base` on, each read by one lane and handed to all by
// subgroupBroadcast, which takes a constant lane: hence one block per lane. `a_only`
// is a constant at each call (phase 2 blends row group a alone).
fn blend_chunk(th: ptr<function, Thread>, p: Pixels, base: u32, lane: u32, a_only: bool) {
    let mine = base + lane % CHUNK;
    var ld = Splat(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    if (mine < p.range.y) {
        ld = load_splat(pair_vals[mine]);
    }
    let n = min(CHUNK, p.range.y - base);
    let sp = Splat(subgroupBroadcast(ld.xyo, 0u), subgroupBroadcast(ld.cn, 0u),
                   subgroupBroadcast(ld.col, 0u));
    blend_lane(th, p, sp, base, a_only);
    if (n > 1u) {
        let sp = Splat(subgroupBroadcast(ld.xyo, 1u), subgroupBroadcast(ld.cn, 1u),
                       subgroupBroadcast(ld.col, 1u));
        blend_lane(th, p, sp, base + 1u, a_only);
    }
    if (n > 2u) {
        let sp = Splat(subgroupBroadcast(ld.xyo, 2u), subgroupBroadcast(ld.cn, 2u),
                       subgroupBroadcast(ld.col, 2u));
        blend_lane(th, p, sp, base + 2u, a_only);
    }
    if (n > 3u) {
        let sp = Splat(subgroupBroadcast(ld.xyo, 3u), subgroupBroadcast(ld.cn, 3u),
                       subgroupBroadcast(ld.col, 3u));
        blend_lane(th, p, sp, base + 3u, a_only);
    }
    if (CHUNK > 4u && n > 4u) {
        let sp = Splat(subgroupBroadcast(ld.xyo, 4u), subgroupBroadcast(ld.cn, 4u),
                       subgroupBroadcast(ld.col, 4u));
        blend_lane(th, p, sp, base + 4u, a_only);
    }
    if (CHUNK > 4u && n > 5u) {
        let sp = Splat(subgroupBroadcast(ld.xyo, 5u), subgroupBroadcast(ld.cn, 5u),
                       subgroupBroadcast(ld.col, 5u));
        blend_lane(th, p, sp, base + 5u, a_only);
    }
    if (CHUNK > 4u && n > 6u) {
        let sp = Splat(subgroupBroadcast(ld.xyo, 6u), subgroupBroadcast(ld.cn, 6u),
                       subgroupBroadcast(ld.col, 6u));
        blend_lane(th, p, sp, base + 6u, a_only);
    }
    if (CHUNK > 4u && n > 7u) {
        let sp = Splat(subgroupBroadcast(ld.xyo, 7u), subgroupBroadcast(ld.cn, 7u),
                       subgroupBroadcast(ld.col, 7u));
        blend_lane(th, p, sp, base + 7u, a_only);
    }
}

fn blend_lane(th: ptr<function, Thread>, p: Pixels, sp: Splat, k: u32, a_only: bool) {
    if (a_only) {
        blend_splat_a(th, p, sp, k);
    } else {
        blend_splat(th, p, sp, k);
    }
}

// Phase 2: blend splat k into row group a only. Not a flag on blend_splat: SwiftShader
// (main_direct, the page's kernel) does not fold a constant bool argument, and such a
// flag cost its raster 3-5% (guitar 1280x720, one process, alternating).
fn blend_splat_a(th: ptr<function, Thread>, p: Pixels, sp: Splat, k: u32) {
    let was = (*th).a;
    let dx = sp.xyo.x - p.fx;
    let a = blend(was, sp, dx, 0.5 * sp.cn.x * dx * dx, p.fy_a);
    (*th).a = a;
    let stop = a.done & !was.done;
    let live = (*th).live;
    (*th).live = live - count(stop);
    if (STATS) {
        (*th).st.work += select(0u, 4u, live > 0u);
        (*th).st.blends += count(a.t != was.t);
        (*th).st.stop_a = select((*th).st.stop_a, vec4<u32>(k + 1u), stop);
    }
}

// One-dimensional: subgroup builtins need a 1D workgroup (naga).
@compute @workgroup_size(TILE_SIZE * THREADS_Y)
fn main_subgroup(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let tile = linear_group(wid, nwg);
    if (tile >= frame.size.z * frame.size.w) {
        return;
    }
    var p = pixels_of(tile, vec3<u32>(lid % TILE_SIZE, lid / TILE_SIZE, 0u));
    var th = start_thread(p);
    var base = p.range.x;
    // phase 1: both row groups, until one of them is done in every lane
    for (; base < p.range.y; base += CHUNK) {
        if (subgroupAll(all(th.a.done)) || subgroupAll(all(th.b.done))) {
            break;
        }
        blend_chunk(&th, p, base, lane, false);
    }
    if (GROUPS > 1u && subgroupAll(all(th.a.done))) {  // b is live: swap it into a
        let rows = th.a;
        th.a = th.b;
        th.b = rows;
        let stop = th.st.stop_a;
        th.st.stop_a = th.st.stop_b;
        th.st.stop_b = stop;
        p = Pixels(p.px, p.py_b, p.py_a, p.fx, p.fy_b, p.fy_a, p.range);
    }
    // phase 2: the live group alone (with GROUPS = 1, the whole list)
    for (; base < p.range.y; base += CHUNK) {
        if (subgroupAll(all(th.a.done))) {
            break;
        }
        blend_chunk(&th, p, base, lane, true);
    }
    finish(th, p, tile);
}
