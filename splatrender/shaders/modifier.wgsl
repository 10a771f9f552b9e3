// The modifier hook of the projection pass: two functions an object may replace
// (scene/modifiers.py). This file is the identity, used by objects without one.
//
//   modify_position(p, m): the splat's centre in the object's frame -> where to draw it
//   modify_color(rgba, m): its colour (after SH) and opacity -> what to draw
//
// `m` is a ModifierInput (shaders/layout.py): the splat's index in its object, the
// renderer's clock in seconds, its stored centre and the object's four parameters.
// Edits apply after the modifier; colours are kept >= 0 and opacities in [0, 1].

// #import layout

fn modify_position(p: vec3<f32>, m: ModifierInput) -> vec3<f32> {
    return p;
}

fn modify_color(rgba: vec4<f32>, m: ModifierInput) -> vec4<f32> {
    return rgba;
}
