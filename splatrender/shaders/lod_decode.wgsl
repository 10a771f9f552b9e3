// Expand one quantised LOD chunk (splatrender/lod/chunk.py documents the layout) into
// a splat-pool page: GEOM_FLOATS float32 geometry + SH_REST_FLOATS float32 SH rest per
// splat. One invocation per splat; the splat count is read from the chunk header.
// The numpy twin is splatrender/lod/codec.py:decode_chunk.

// #import layout

const CORE_WORDS: u32 = 4u;
const SH_REST_FLOATS: u32 = 45u;  // of the pool's pages (its SH degree)
const ALPHA_BINS: f32 = 256.0;
const QUAT_LEVELS: f32 = 126.0;
const QUAT_MASK: u32 = 127u;

@group(0) @binding(0) var<storage, read> chunk: array<u32>;
@group(0) @binding(1) var<storage, read_write> geom: array<f32>;
@group(0) @binding(2) var<storage, read_write> sh_rest: array<f32>;

fn hf(i: u32) -> f32 {
    return bitcast<f32>(chunk[i]);
}

fn aff(q: u32, lo_word: u32, step_word: u32) -> f32 {
    return hf(lo_word) + f32(q) * hf(step_word);
}

fn sh_band(k: u32) -> u32 {
    // coefficient k (1..15) -> band index 0..2
    return select(select(2u, 1u, k < 9u), 0u, k < 4u);
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let count = chunk[CHUNK_COUNT];
    let degree = chunk[CHUNK_SH_DEGREE];
    let i = gid.x;
    if (i >= count) {
        return;
    }
    let c = CHUNK_WORDS + CORE_WORDS * i;
    let w0 = chunk[c];
    let w1 = chunk[c + 1u];
    let w2 = chunk[c + 2u];
    let w3 = chunk[c + 3u];
    let g = GEOM_FLOATS * i;

    geom[g + GEOM_MEAN] = aff(w0 & 0xFFFFu, CHUNK_POS_MIN, CHUNK_POS_STEP);
    geom[g + GEOM_MEAN + 1u] = aff(w0 >> 16u, CHUNK_POS_MIN + 1u, CHUNK_POS_STEP + 1u);
    geom[g + GEOM_MEAN + 2u] = aff(w1 & 0xFFFFu, CHUNK_POS_MIN + 2u, CHUNK_POS_STEP + 2u);
    let a = f32((w1 >> 16u) & 0xFFu) * (1.0 / ALPHA_BINS) + (0.5 / ALPHA_BINS);
    geom[g + GEOM_OPACITY] = log(a / (1.0 - a));

    // Smallest three: the largest component (index big) is rebuilt from the others.
    let code = w3 >> 8u;
    let big = code & 3u;
    let s = 2.0 * 0.70710678118654752;
    let v = (vec3<f32>(
        f32((code >> 2u) & QUAT_MASK),
        f32((code >> 9u) & QUAT_MASK),
        f32((code >> 16u) & QUAT_MASK)
    ) * (1.0 / QUAT_LEVELS) - vec3<f32>(0.5)) * s;
    let m = sqrt(max(0.0, 1.0 - (v.x * v.x + v.y * v.y + v.z * v.z)));
    var q = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
    var j = 0u;
    for (var k = 0u; k < 4u; k++) {
        if (k == big) {
            q[k] = m;
        } else {
            q[k] = v[j];
            j++;
        }
    }
    geom[g + GEOM_QUAT] = q[0];
    geom[g + GEOM_QUAT + 1u] = q[1];
    geom[g + GEOM_QUAT + 2u] = q[2];
    geom[g + GEOM_QUAT + 3u] = q[3];

    let ls = GEOM_LOG_SCALE;
    geom[g + ls] = aff(w1 >> 24u, CHUNK_LSCALE_MIN, CHUNK_LSCALE_STEP);
    geom[g + ls + 1u] = aff(w2 & 0xFFu, CHUNK_LSCALE_MIN, CHUNK_LSCALE_STEP);
    geom[g + ls + 2u] = aff((w2 >> 8u) & 0xFFu, CHUNK_LSCALE_MIN, CHUNK_LSCALE_STEP);
    geom[g + GEOM_DC] = aff((w2 >> 16u) & 0xFFu, CHUNK_DC_MIN, CHUNK_DC_STEP);
    geom[g + GEOM_DC + 1u] = aff(w2 >> 24u, CHUNK_DC_MIN + 1u, CHUNK_DC_STEP + 1u);
    geom[g + GEOM_DC + 2u] = aff(w3 & 0xFFu, CHUNK_DC_MIN + 2u, CHUNK_DC_STEP + 2u);
    // Extra dilation: one byte per splat in an optional section (offset 0 = none).
    var dilation = 0.0;
    let dil_base = chunk[CHUNK_DILATION_OFFSET];
    if (dil_base != 0u) {
        let byte = (chunk[dil_base + i / 4u] >> (8u * (i % 4u))) & 0xFFu;
        dilation = f32(byte) * hf(CHUNK_DILATION_STEP);
    }
    geom[g + GEOM_DILATION] = dilation;
    geom[g + GEOM_PAD] = 0.0;

    // SH rest: one byte per coefficient in the chunk; the pool may hold more or fewer.
    let chunk_floats = ((degree + 1u) * (degree + 1u) - 1u) * 3u;
    let sh_words = (chunk_floats + 3u) / 4u;
    let sh_base = chunk[CHUNK_SH_OFFSET] + sh_words * i;
    for (var f = 0u; f < SH_REST_FLOATS; f++) {
        var val = 0.0;
        if (f < chunk_floats) {
            let byte = (chunk[sh_base + f / 4u] >> (8u * (f % 4u))) & 0xFFu;
            let band = sh_band(f / 3u + 1u);
            val = aff(byte, CHUNK_SH_MIN + band, CHUNK_SH_STEP + band);
        }
        sh_rest[SH_REST_FLOATS * i + f] = val;
    }
}
