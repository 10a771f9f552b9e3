// Modifier example: a reveal. A sphere grows from the object's origin at params.x
// units per second; splats inside it appear over a soft edge params.y wide, rising
// into place from params.z units below (along the object's -y, "down" in RDF files).

// #import layout

fn reveal_weight(m: ModifierInput) -> f32 {
    let radius = m.params.x * m.time;
    let edge = max(m.params.y, 1e-6);
    return clamp((radius - length(m.local.xyz)) / edge + 0.5, 0.0, 1.0);
}

fn modify_position(p: vec3<f32>, m: ModifierInput) -> vec3<f32> {
    return p + vec3<f32>(0.0, m.params.z * (1.0 - reveal_weight(m)), 0.0);
}

fn modify_color(rgba: vec4<f32>, m: ModifierInput) -> vec4<f32> {
    return vec4<f32>(rgba.rgb, rgba.a * reveal_weight(m));
}
