//! Colours: how a value, a class or a gradient looks on screen.

use bevy_egui::egui::Color32;

/// Negative values: Playground's orange.
pub const NEGATIVE: Color32 = Color32::from_rgb(245, 147, 34);
/// Positive values: Playground's blue.
pub const POSITIVE: Color32 = Color32::from_rgb(8, 119, 189);
/// Zero.
pub const NEUTRAL: Color32 = Color32::from_rgb(232, 234, 235);
/// A non-finite value: never mistaken for a number.
pub const NOT_A_NUMBER: Color32 = Color32::from_rgb(255, 0, 255);

/// Ten distinct class colours (matplotlib's tab10), the first two matching
/// the diverging map's ends so binary tasks look the same either way.
pub const CLASSES: [Color32; 10] = [
    NEGATIVE,
    POSITIVE,
    Color32::from_rgb(44, 160, 44),
    Color32::from_rgb(214, 39, 40),
    Color32::from_rgb(148, 103, 189),
    Color32::from_rgb(140, 86, 75),
    Color32::from_rgb(227, 119, 194),
    Color32::from_rgb(127, 127, 127),
    Color32::from_rgb(188, 189, 34),
    Color32::from_rgb(23, 190, 207),
];

fn mix(a: Color32, b: Color32, t: f32) -> Color32 {
    let lerp = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t).round() as u8;
    Color32::from_rgb(lerp(a.r(), b.r()), lerp(a.g(), b.g()), lerp(a.b(), b.b()))
}

/// A value on the diverging map: -scale orange, 0 near white, +scale blue.
pub fn diverging(value: f32, scale: f32) -> Color32 {
    if !value.is_finite() {
        return NOT_A_NUMBER;
    }
    let t = (value / scale.max(f32::MIN_POSITIVE)).clamp(-1.0, 1.0);
    if t < 0.0 { mix(NEUTRAL, NEGATIVE, -t) } else { mix(NEUTRAL, POSITIVE, t) }
}

pub fn class_colour(class: usize) -> Color32 {
    CLASSES[class % CLASSES.len()]
}

/// A class colour faded toward white by low confidence (in [0, 1]).
pub fn class_with_confidence(class: usize, confidence: f32) -> Color32 {
    if !confidence.is_finite() {
        return NOT_A_NUMBER;
    }
    mix(NEUTRAL, class_colour(class), confidence.clamp(0.0, 1.0))
}

/// A right or wrong answer: green or red, paler where the network was
/// trained on the cell (so what it generalised to stands out).
pub fn verdict(correct: bool, trained_on: bool) -> Color32 {
    let colour = if correct { Color32::from_rgb(44, 160, 44) } else { Color32::from_rgb(214, 39, 40) };
    if trained_on { mix(colour, Color32::WHITE, 0.55) } else { colour }
}

/// A sequential map from dark purple (0) to bright yellow (1), like inferno:
/// used for gradient magnitudes, where brighter means more gradient.
pub fn heat(t: f32) -> Color32 {
    const STOPS: [Color32; 5] = [
        Color32::from_rgb(20, 11, 52),
        Color32::from_rgb(101, 21, 110),
        Color32::from_rgb(188, 55, 84),
        Color32::from_rgb(249, 142, 9),
        Color32::from_rgb(252, 255, 164),
    ];
    if !t.is_finite() {
        return NOT_A_NUMBER;
    }
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f32;
    let index = (t.floor() as usize).min(STOPS.len() - 2);
    mix(STOPS[index], STOPS[index + 1], t - index as f32)
}

/// Colours for `count` chart series (layers), from the input side (dark) to
/// the output side (bright), so depth reads as brightness.
pub fn layer_colour(index: usize, count: usize) -> Color32 {
    let t = if count <= 1 { 0.6 } else { 0.15 + 0.8 * index as f32 / (count - 1) as f32 };
    heat(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_ends_and_non_finite() {
        assert_eq!(diverging(-1.0, 1.0), NEGATIVE);
        assert_eq!(diverging(5.0, 1.0), POSITIVE);
        assert_eq!(diverging(0.0, 1.0), NEUTRAL);
        assert_eq!(diverging(f32::NAN, 1.0), NOT_A_NUMBER);
        assert_eq!(heat(f32::INFINITY), NOT_A_NUMBER);
        assert_eq!(class_colour(11), CLASSES[1]);
    }
}
