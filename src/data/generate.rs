//! The generated point sets. Shapes follow TensorFlow Playground's (a data
//! radius of 5 inside the [-6, 6] square); the code is our own.

use std::f64::consts::{PI, TAU};

use rand::RngExt;

use super::{DatasetKind, INPUT_HALF_WIDTH, PointSet};
use crate::maths;
use crate::nn::TaskKind;
use crate::rng::EngineRng;

/// The radius the generated shapes fill.
const RADIUS: f64 = 5.0;

/// Generates `samples` points of `kind` (not csv). `noise` displaces every
/// point by up to `noise * 5` along each axis, uniformly, as Playground's
/// noise slider does; points stay inside the input square.
pub fn generate(kind: DatasetKind, samples: usize, noise: f64, classes: usize, rng: &mut EngineRng) -> PointSet {
    let mut points = Vec::with_capacity(samples);
    let mut labels = Vec::with_capacity(samples);
    let task = kind.task(classes).unwrap_or(TaskKind::Classification { classes: 2 });
    for i in 0..samples {
        let (x, y, label) = match kind {
            DatasetKind::Circle => circle(i, samples, rng),
            DatasetKind::Xor => xor(rng),
            DatasetKind::Gauss => gauss(i, rng),
            DatasetKind::Spiral => spiral(i, samples, 2),
            DatasetKind::MultiSpiral => spiral(i, samples, classes),
            DatasetKind::Moons => moons(i, rng),
            DatasetKind::Checkerboard => checkerboard(rng),
            DatasetKind::AboveSine | DatasetKind::AboveCubic | DatasetKind::AboveAbs => above_curve(kind, rng),
            DatasetKind::Plane => plane(rng),
            DatasetKind::GaussMix => gauss_mix(rng),
            DatasetKind::Csv | DatasetKind::ModularAddition | DatasetKind::Digits | DatasetKind::Mnist => {
                unreachable!("{} is not a generated point set", kind.name())
            }
        };
        let shake = |rng: &mut EngineRng| if noise > 0.0 { rng.random_range(-1.0..1.0) * noise * RADIUS } else { 0.0 };
        let limit = INPUT_HALF_WIDTH;
        let (dx, dy) = (shake(rng), shake(rng));
        points.push([(x + dx).clamp(-limit, limit), (y + dy).clamp(-limit, limit)]);
        labels.push(label);
    }
    PointSet { points, labels, task }
}

fn polar(r: f64, angle: f64) -> (f64, f64) {
    let (sin, cos) = maths::sin_cos(angle);
    (r * cos, r * sin)
}

/// Class 1 inside half the radius, class 0 in a ring from 0.7 to 1.
fn circle(i: usize, samples: usize, rng: &mut EngineRng) -> (f64, f64, f64) {
    let inside = i < samples / 2;
    let r = if inside { rng.random_range(0.0..0.5) } else { rng.random_range(0.7..1.0) } * RADIUS;
    let (x, y) = polar(r, rng.random_range(0.0..TAU));
    (x, y, if inside { 1.0 } else { 0.0 })
}

/// Class 1 where x and y have the same sign; a gap of 0.3 keeps points off
/// the axes.
fn xor(rng: &mut EngineRng) -> (f64, f64, f64) {
    let away = |v: f64| v + 0.3 * v.signum();
    let x = away(rng.random_range(-RADIUS..RADIUS));
    let y = away(rng.random_range(-RADIUS..RADIUS));
    (x, y, if x * y > 0.0 { 1.0 } else { 0.0 })
}

fn normal_pair(rng: &mut EngineRng) -> (f64, f64) {
    // Box-Muller, so a pair costs one log, one sqrt and a sincos.
    let u: f64 = 1.0 - rng.random::<f64>();
    let (s, c) = maths::sin_cos(rng.random_range(0.0..TAU));
    let r = (-2.0 * maths::ln(u)).sqrt();
    (r * c, r * s)
}

/// Two unit-sigma blobs at (2, 2) (class 1) and (-2, -2) (class 0).
fn gauss(i: usize, rng: &mut EngineRng) -> (f64, f64, f64) {
    let positive = i.is_multiple_of(2);
    let centre = if positive { 2.0 } else { -2.0 };
    let (dx, dy) = normal_pair(rng);
    (centre + dx, centre + dy, if positive { 1.0 } else { 0.0 })
}

/// `arms` interleaved spiral arms, 1.75 turns each; point i goes to arm
/// i mod arms.
fn spiral(i: usize, samples: usize, arms: usize) -> (f64, f64, f64) {
    let arm = i % arms;
    let per_arm = samples.div_ceil(arms).max(1);
    let along = (i / arms) as f64 / per_arm as f64;
    let r = along * RADIUS;
    let angle = 1.75 * along * TAU + arm as f64 * TAU / arms as f64;
    let (x, y) = polar(r, angle);
    (x, y, arm as f64)
}

/// Two interleaved half circles (the "moons"), scaled to the square.
fn moons(i: usize, rng: &mut EngineRng) -> (f64, f64, f64) {
    let upper = i.is_multiple_of(2);
    let t = rng.random_range(0.0..PI);
    let (sin, cos) = maths::sin_cos(t);
    let (x, y) = if upper { (cos, sin) } else { (1.0 - cos, 0.5 - sin) };
    // Centre the pair (it spans x in [-1, 2], y in [-0.5, 1]) and scale.
    ((x - 0.5) * 3.0, (y - 0.25) * 3.0, if upper { 1.0 } else { 0.0 })
}

/// A 4 x 4 board of cells 2.5 wide.
fn checkerboard(rng: &mut EngineRng) -> (f64, f64, f64) {
    let x = rng.random_range(-RADIUS..RADIUS);
    let y = rng.random_range(-RADIUS..RADIUS);
    let cell = |v: f64| ((v + RADIUS) / 2.5).floor() as i64;
    (x, y, ((cell(x) + cell(y)) % 2) as f64)
}

/// The curve y = f(x) whose graph splits an `above-*` data set, or `None`
/// for other data sets. Each is its function's graph scaled into the input
/// square, shape kept: the sine over one period (y > sin x on [-pi, pi],
/// scaled by 6 / pi), the cubic between its outer bumps (y > x^3 - x on
/// [-1.5, 1.5], scaled by 4), and the V of |x| lowered by 3 so half the
/// square lies above it.
pub fn boundary_curve(kind: DatasetKind, x: f64) -> Option<f64> {
    match kind {
        DatasetKind::AboveSine => {
            let scale = INPUT_HALF_WIDTH / PI;
            Some(scale * maths::sin(x / scale))
        }
        DatasetKind::AboveCubic => {
            let u = x / 4.0;
            Some(4.0 * (u * u * u - u))
        }
        DatasetKind::AboveAbs => Some(x.abs() - 3.0),
        _ => None,
    }
}

/// A point uniform in the input square, class 1 above the curve.
fn above_curve(kind: DatasetKind, rng: &mut EngineRng) -> (f64, f64, f64) {
    let x = rng.random_range(-INPUT_HALF_WIDTH..INPUT_HALF_WIDTH);
    let y = rng.random_range(-INPUT_HALF_WIDTH..INPUT_HALF_WIDTH);
    let curve = boundary_curve(kind, x).expect("an above-curve data set");
    (x, y, if y > curve { 1.0 } else { 0.0 })
}

/// Regression on a tilted plane, the target in [-1, 1].
fn plane(rng: &mut EngineRng) -> (f64, f64, f64) {
    let x = rng.random_range(-RADIUS..RADIUS);
    let y = rng.random_range(-RADIUS..RADIUS);
    (x, y, (x + y) / (2.0 * RADIUS))
}

/// Regression on signed Gaussian bumps, the target clamped to [-1, 1].
fn gauss_mix(rng: &mut EngineRng) -> (f64, f64, f64) {
    const BUMPS: [(f64, f64, f64); 6] =
        [(-3.0, 2.5, 1.0), (0.0, 2.5, -1.0), (3.0, 2.5, 1.0), (-3.0, -2.5, -1.0), (0.0, -2.5, 1.0), (3.0, -2.5, -1.0)];
    let x = rng.random_range(-RADIUS..RADIUS);
    let y = rng.random_range(-RADIUS..RADIUS);
    let value: f64 =
        BUMPS.iter().map(|&(cx, cy, sign)| sign * maths::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2.0 * 1.2 * 1.2))).sum();
    (x, y, value.clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    const CURVES: [DatasetKind; 3] = [DatasetKind::AboveSine, DatasetKind::AboveCubic, DatasetKind::AboveAbs];

    /// The curves written out with the standard library, apart from the
    /// generator's own.
    fn reference(kind: DatasetKind, x: f64) -> f64 {
        match kind {
            DatasetKind::AboveSine => 6.0 / PI * (x * PI / 6.0).sin(),
            DatasetKind::AboveCubic => x * x * x / 16.0 - x,
            DatasetKind::AboveAbs => x.abs() - 3.0,
            _ => unreachable!(),
        }
    }

    #[test]
    fn points_above_the_curve_are_class_one_and_both_classes_are_common() {
        for kind in CURVES {
            let set = generate(kind, 2000, 0.0, 2, &mut EngineRng::seed_from_u64(7));
            assert_eq!(set.task, TaskKind::Classification { classes: 2 });
            for (&[x, y], &label) in set.points.iter().zip(&set.labels) {
                assert!(x.abs() <= 6.0 && y.abs() <= 6.0, "{kind}: ({x}, {y}) outside the square");
                let curve = reference(kind, x);
                if (y - curve).abs() > 1e-9 {
                    assert_eq!(label, f64::from(u8::from(y > curve)), "{kind}: ({x}, {y}) against the curve at {curve}");
                }
            }
            let above = set.labels.iter().filter(|&&l| l == 1.0).count() as f64 / set.labels.len() as f64;
            assert!((0.4..=0.6).contains(&above), "{kind}: {above} of the points above the curve");
        }
    }

    #[test]
    fn the_curves_are_the_functions_graphs_scaled_into_the_square() {
        for kind in CURVES {
            for i in 0..=120 {
                let x = -6.0 + 0.1 * f64::from(i);
                let curve = boundary_curve(kind, x).unwrap();
                assert!((curve - reference(kind, x)).abs() < 1e-12, "{kind} at {x}: {curve}");
            }
        }
        // Where the shapes are recognisable: the sine's crest, the
        // cubic's roots, the V's tip.
        assert!((boundary_curve(DatasetKind::AboveSine, 3.0).unwrap() - 6.0 / PI).abs() < 1e-12);
        for root in [-4.0, 0.0, 4.0] {
            assert_eq!(boundary_curve(DatasetKind::AboveCubic, root), Some(0.0));
        }
        assert_eq!(boundary_curve(DatasetKind::AboveAbs, 0.0), Some(-3.0));
        assert_eq!(boundary_curve(DatasetKind::Circle, 0.0), None);
    }

    #[test]
    fn the_same_seed_gives_the_same_points() {
        for kind in CURVES {
            let draw = |seed| generate(kind, 50, 0.1, 2, &mut EngineRng::seed_from_u64(seed));
            assert_eq!(draw(3), draw(3));
            assert_ne!(draw(3).points, draw(4).points);
        }
    }
}
