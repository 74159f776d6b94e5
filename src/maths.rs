//! The transcendental functions the engine computes with, from the `libm`
//! crate (a pure-Rust port of musl's), so a seed gives the same bits on
//! every CPU, operating system and in wasm. The platform's own `exp`, `ln`
//! or `sin` (glibc, the browser's) round some arguments differently, and a
//! run would drift from the first step.

use rand::{Rng, RngExt};

#[inline]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

#[inline]
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

#[inline]
pub fn ln_1p(x: f64) -> f64 {
    libm::log1p(x)
}

#[inline]
pub fn exp_m1(x: f64) -> f64 {
    libm::expm1(x)
}

#[inline]
pub fn log10(x: f64) -> f64 {
    libm::log10(x)
}

#[inline]
pub fn powf(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

#[inline]
pub fn sin(x: f64) -> f64 {
    libm::sin(x)
}

#[inline]
pub fn cos(x: f64) -> f64 {
    libm::cos(x)
}

#[inline]
pub fn sin_cos(x: f64) -> (f64, f64) {
    libm::sincos(x)
}

/// A standard normal draw by Box and Muller's method, from two uniform
/// draws: exact in distribution and portable bit for bit (rand_distr's
/// ziggurat calls the platform's `exp` and `ln`).
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    // In (0, 1]: ln never sees 0.
    let u = 1.0 - rng.random::<f64>();
    let angle = std::f64::consts::TAU * rng.random::<f64>();
    (-2.0 * ln(u)).sqrt() * cos(angle)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn normal_draws_have_mean_zero_and_unit_variance() {
        let mut rng = crate::rng::EngineRng::seed_from_u64(3);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let variance = draws.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01 && (variance - 1.0).abs() < 0.01, "mean {mean}, variance {variance}");
        let beyond_two = draws.iter().filter(|x| x.abs() > 2.0).count() as f64 / n as f64;
        assert!((beyond_two - 0.0455).abs() < 0.003, "{beyond_two}");
    }

    #[test]
    fn agrees_with_the_platform_to_an_ulp_or_two() {
        for i in 0..10_000 {
            let x = -20.0 + 40.0 * i as f64 / 10_000.0;
            let close = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1e-300);
            assert!(close(sin(x), x.sin()) && close(cos(x), x.cos()) && close(exp(x), x.exp()), "{x}");
            if x > 0.0 {
                assert!(close(ln(x), x.ln()), "{x}");
            }
        }
    }
}
