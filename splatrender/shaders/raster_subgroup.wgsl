enable subgroups;
diagnostic(off, subgroup_uniformity);
// Tile rasterizer for CPU adapters with subgroups whose compiler runs every storage read
// lane by lane (lavapipe: llvmpipe reads storage inside any loop one lane at a time, so
// `main_direct`'s threads, which all read the same splat, paid its 9 words 8 times
// over). Here the lanes of a subgroup read CHUNK consecutive splats of the tile's list,
// one each, and subgroupBroadcast hands each splat to all lanes in turn: one read per
// splat instead of one per lane. Same splats, same order: the same image as `main`.
// CHUNK is at most the subgroup size (WebGPU's least is 4); the loop exits only when the
// whole subgroup is done, since a broadcast needs every lane.
// #import raster_blend

const CHUNK: u32 = 4u;  // 4 or 8

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
    let p = pixels_of(tile, vec3<u32>(lid % TILE_SIZE, lid / TILE_SIZE, 0u));
    var th = start_thread(p);
    for (var base = p.range.x; base < p.range.y; base += CHUNK) {
        if (subgroupAll(th.live == 0u)) {
            break;
        }
        let mine = base + lane % CHUNK;
        var ld = Splat(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
        if (mine < p.range.y) {
            ld = load_splat(pair_vals[mine]);
        }
        // subgroupBroadcast takes a constant lane, hence one block per lane
        let n = min(CHUNK, p.range.y - base);
        let sp = Splat(subgroupBroadcast(ld.xyo, 0u), subgroupBroadcast(ld.cn, 0u),
                       subgroupBroadcast(ld.col, 0u));
        blend_splat(&th, p, sp, base);
        if (n > 1u) {
            let sp = Splat(subgroupBroadcast(ld.xyo, 1u), subgroupBroadcast(ld.cn, 1u),
                           subgroupBroadcast(ld.col, 1u));
            blend_splat(&th, p, sp, base + 1u);
        }
        if (n > 2u) {
            let sp = Splat(subgroupBroadcast(ld.xyo, 2u), subgroupBroadcast(ld.cn, 2u),
                           subgroupBroadcast(ld.col, 2u));
            blend_splat(&th, p, sp, base + 2u);
        }
        if (n > 3u) {
            let sp = Splat(subgroupBroadcast(ld.xyo, 3u), subgroupBroadcast(ld.cn, 3u),
                           subgroupBroadcast(ld.col, 3u));
            blend_splat(&th, p, sp, base + 3u);
        }
        if (CHUNK > 4u && n > 4u) {
            let sp = Splat(subgroupBroadcast(ld.xyo, 4u), subgroupBroadcast(ld.cn, 4u),
                           subgroupBroadcast(ld.col, 4u));
            blend_splat(&th, p, sp, base + 4u);
        }
        if (CHUNK > 4u && n > 5u) {
            let sp = Splat(subgroupBroadcast(ld.xyo, 5u), subgroupBroadcast(ld.cn, 5u),
                           subgroupBroadcast(ld.col, 5u));
            blend_splat(&th, p, sp, base + 5u);
        }
        if (CHUNK > 4u && n > 6u) {
            let sp = Splat(subgroupBroadcast(ld.xyo, 6u), subgroupBroadcast(ld.cn, 6u),
                           subgroupBroadcast(ld.col, 6u));
            blend_splat(&th, p, sp, base + 6u);
        }
        if (CHUNK > 4u && n > 7u) {
            let sp = Splat(subgroupBroadcast(ld.xyo, 7u), subgroupBroadcast(ld.cn, 7u),
                           subgroupBroadcast(ld.col, 7u));
            blend_splat(&th, p, sp, base + 7u);
        }
    }
    finish(th, p, tile);
}
