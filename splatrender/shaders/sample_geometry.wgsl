// Gather a strided sample of pool splats (mean and opacity logit) for the scene's
// framing bounds (scene/bounds.py): one dispatch per page, its sample indices given.
// The numpy twin is reference/pool.py `gather_samples`.

// #import layout

@group(0) @binding(0) var<uniform> params: SampleParams;
@group(0) @binding(1) var<storage, read> geometry: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<u32>;
@group(0) @binding(3) var<storage, read_write> samples: array<vec4<f32>>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = gid.x;
    if k >= params.count {
        return;
    }
    let o = indices[params.first + k] * GEOM_FLOATS;
    samples[params.first + k] = vec4<f32>(
        geometry[o + GEOM_MEAN], geometry[o + GEOM_MEAN + 1u], geometry[o + GEOM_MEAN + 2u],
        geometry[o + GEOM_OPACITY]
    );
}
