// Which tiles a splat's ellipse touches: shared by the projection, which keeps them per
// splat, and binning, which emits its pairs. `tile`: the tile edge in pixels.
// Twin: reference/raster.py (touches).
// #import layout

const MASK_TILES: u32 = 32u;  // rects of at most this many tiles keep a mask of the touched

struct Ellipse {
    centre: vec2<f32>,
    conic: vec3<f32>,
    reach: f32,  // q = d.conic.d where alpha = 1/255 (q = 2 sigma), with TOUCH_SLACK
}

// `reach`: 2 ln(255 opacity), the q where alpha falls to 1/255.
fn ellipse(centre: vec2<f32>, conic: vec3<f32>, reach: f32) -> Ellipse {
    return Ellipse(centre, conic, reach * TOUCH_SLACK + 1e-4);
}

// Least q over the edge {fixed} x [lo, hi] of q = cf f^2 + 2 cc f t + ct t^2.
fn edge_min(fixed: f32, lo: f32, hi: f32, cf: f32, cc: f32, ct: f32) -> f32 {
    let t = clamp(-cc * fixed / ct, lo, hi);
    return cf * fixed * fixed + 2.0 * cc * fixed * t + ct * t * t;
}

// Does the ellipse reach a pixel centre of tile (tx, ty)? The least q over the box of
// centres is 0 inside it, else on one of its edges (q is convex).
fn touches(e: Ellipse, tx: u32, ty: u32, tile: u32) -> bool {
    let lo = vec2<f32>(f32(tx), f32(ty)) * f32(tile) + 0.5 - e.centre;
    let hi = lo + f32(tile - 1u);
    if (all(lo <= vec2<f32>(0.0)) && all(hi >= vec2<f32>(0.0))) {
        return true;
    }
    let c = e.conic;
    let q = min(
        min(edge_min(lo.x, lo.y, hi.y, c.x, c.y, c.z), edge_min(hi.x, lo.y, hi.y, c.x, c.y, c.z)),
        min(edge_min(lo.y, lo.x, hi.x, c.z, c.y, c.x), edge_min(hi.y, lo.x, hi.x, c.z, c.y, c.x)),
    );
    return q <= e.reach;
}

// Whether rect r (xmin, ymin, xmax, ymax; max exclusive) keeps its touched tiles as a
// mask: at most MASK_TILES of them.
fn keeps_mask(r: vec4<u32>) -> bool {
    return (r.z - r.x) * (r.w - r.y) <= MASK_TILES;
}

// The tiles of rect r (xmin, ymin, xmax, ymax; max exclusive) that the ellipse
// touches: their count, and where the rect keeps_mask a bit per tile, row by row (bit
// (ty - ymin) * width + tx - xmin).
fn touched_tiles(e: Ellipse, r: vec4<u32>, tile: u32) -> vec2<u32> {
    let area = (r.z - r.x) * (r.w - r.y);
    let small = keeps_mask(r);
    var n = 0u;
    var mask = 0u;
    var tx = r.x;
    var ty = r.y;
    // one loop over the rect, row by row (bit i = tile i of the rect)
    for (var i = 0u; i < area; i++) {
        if (touches(e, tx, ty, tile)) {
            n++;
            if (small) {
                mask |= 1u << i;
            }
        }
        tx++;
        if (tx == r.z) {
            tx = r.x;
            ty++;
        }
    }
    return vec2<u32>(n, mask);
}
