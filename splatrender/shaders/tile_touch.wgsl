// Which tiles a splat's ellipse touches: shared by the projection, which keeps them per
// splat, and binning, which emits its pairs. `tile`: the tile edge in pixels.
// Twin: reference/raster.py (row_spans; touches is the per-tile definition).
// #import layout

const MASK_TILES: u32 = 32u;  // rects of at most this many tiles keep a mask of the touched

struct Ellipse {
    centre: vec2<f32>,
    conic: vec3<f32>,
    reach: f32,  // q = d.conic.d where alpha = 1/255 (q = 2 sigma), with TOUCH_SLACK
    det: f32,    // of the conic
    half_h: f32, // half the ellipse's height at reach
    right_dy: f32,  // dy of its rightmost point (the leftmost is at -right_dy)
}

// `reach`: 2 ln(255 opacity), the q where alpha falls to 1/255.
fn ellipse(centre: vec2<f32>, conic: vec3<f32>, reach: f32) -> Ellipse {
    let q = reach * TOUCH_SLACK + 1e-4;
    let det = conic.x * conic.z - conic.y * conic.y;
    return Ellipse(centre, conic, q, det, sqrt(q * conic.x / det),
                   -conic.y * sqrt(q / (conic.z * det)));
}

// The tiles of row ty of rect r (xmin, ymin, xmax, ymax; max exclusive) whose pixel
// centres the ellipse reaches, as [first, end) (empty: end <= first). A tile's box of
// centres meets the (convex) ellipse exactly when the ellipse's x-extent over the box's
// rows meets the box's columns; that extent runs from the leftmost to the rightmost
// point of the ellipse within the rows, each at the row nearest its unclamped dy. One
// span per row instead of a test per tile: the same tiles as reference/raster.py's
// per-tile `touches` (tests hold both to it). On SwiftShader the projection took 12.6
// against 15.0 ms with a test per tile (guitar 1280x720).
fn row_span(e: Ellipse, ty: u32, r: vec4<u32>, tile: u32) -> vec2<u32> {
    let ft = f32(tile);
    let lo = f32(ty) * ft + 0.5 - e.centre.y;
    let hi = lo + ft - 1.0;
    if (lo > e.half_h || hi < -e.half_h) {
        return vec2<u32>(0u);
    }
    let c = e.conic;
    let dr = clamp(e.right_dy, lo, hi);
    let dl = clamp(-e.right_dy, lo, hi);
    let xr = (sqrt(max(0.0, e.reach * c.x - e.det * dr * dr)) - c.y * dr) / c.x;
    let xl = (-sqrt(max(0.0, e.reach * c.x - e.det * dl * dl)) - c.y * dl) / c.x;
    // tile tx's centres span [tx * tile + 0.5, tx * tile + tile - 0.5] - centre.x
    let first = max(f32(r.x), ceil((xl + e.centre.x + 0.5) / ft - 1.0));
    let end = min(f32(r.z), floor((xr + e.centre.x - 0.5) / ft) + 1.0);
    if (end <= first) {
        return vec2<u32>(0u);
    }
    return vec2<u32>(u32(first), u32(end));
}

// Whether rect r keeps its touched tiles as a mask: at most MASK_TILES of them.
fn keeps_mask(r: vec4<u32>) -> bool {
    return (r.z - r.x) * (r.w - r.y) <= MASK_TILES;
}

// The tiles of rect r (at least one row) that the ellipse touches: their count, and
// where the rect keeps_mask a bit per tile, row by row (bit (ty - ymin) * width + tx -
// xmin). A do-while: llvmpipe runs a loop body once more, masked, in the iteration
// whose test at the top ends it (bench/results/speed.md; projection 1.5-2.4% faster).
fn touched_tiles(e: Ellipse, r: vec4<u32>, tile: u32) -> vec2<u32> {
    let w = r.z - r.x;
    let small = keeps_mask(r);
    var n = 0u;
    var mask = 0u;
    var ty = r.y;
    loop {
        let s = row_span(e, ty, r, tile);
        if (s.y > s.x) {
            let k = s.y - s.x;  // <= w <= MASK_TILES where the mask is kept
            n += k;
            if (small) {
                mask |= (0xffffffffu >> (32u - k)) << ((ty - r.y) * w + s.x - r.x);
            }
        }
        ty++;
        if (ty >= r.w) {
            break;
        }
    }
    return vec2<u32>(n, mask);
}
