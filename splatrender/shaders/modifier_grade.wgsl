// Modifier example: a colour grade. params = (saturation, contrast, brightness,
// warmth): 1, 1, 1, 0 leaves colours as they are; warmth > 0 adds red, removes blue.

// #import layout

fn modify_position(p: vec3<f32>, m: ModifierInput) -> vec3<f32> {
    return p;
}

fn modify_color(rgba: vec4<f32>, m: ModifierInput) -> vec4<f32> {
    let luma = dot(rgba.rgb, vec3<f32>(0.2126, 0.7152, 0.0722));
    var rgb = mix(vec3<f32>(luma), rgba.rgb, m.params.x);
    rgb = ((rgb - 0.5) * m.params.y + 0.5) * m.params.z;
    rgb *= vec3<f32>(1.0 + m.params.w, 1.0, 1.0 - m.params.w);
    return vec4<f32>(rgb, rgba.a);
}
