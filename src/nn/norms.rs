//! Norms that stay true for any finite input. Summing squares directly
//! overflows for values above about 1e154 and underflows below 1e-154, so
//! a finite gradient could get an infinite norm (and a clip would zero it
//! instead of shrinking it). Scaling by the largest magnitude first keeps
//! every finite vector's norm finite and exact to a few ulps.

/// The Euclidean norm of `values`: NaN if any value is NaN, infinite if
/// any is infinite.
pub fn l2_norm(values: &[f64]) -> f64 {
    let largest = values.iter().fold(0.0f64, |m, v| if v.abs() > m || v.is_nan() { v.abs() } else { m });
    if largest == 0.0 || !largest.is_finite() {
        return largest;
    }
    let inverse = 1.0 / largest;
    let sum: f64 = values.iter().map(|v| (v * inverse) * (v * inverse)).sum();
    largest * sum.sqrt()
}

/// The Euclidean distance between two vectors of the same length, scaled
/// like [`l2_norm`].
pub fn l2_distance(a: &[f64], b: &[f64]) -> f64 {
    let largest = a.iter().zip(b).fold(0.0f64, |m, (x, y)| {
        let d = (x - y).abs();
        if d > m || d.is_nan() { d } else { m }
    });
    if largest == 0.0 || !largest.is_finite() {
        return largest;
    }
    let inverse = 1.0 / largest;
    let sum: f64 = a.iter().zip(b).map(|(x, y)| ((x - y) * inverse) * ((x - y) * inverse)).sum();
    largest * sum.sqrt()
}

/// Scales `values` down so their norm is at most `limit` (gradient
/// clipping by global norm); returns the norm before clipping.
pub fn clip_to_norm(values: &mut [f64], limit: f64) -> f64 {
    let norm = l2_norm(values);
    if norm > limit {
        let shrink = limit / norm;
        values.iter_mut().for_each(|v| *v *= shrink);
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_and_tiny_finite_vectors_have_finite_exact_norms() {
        let close = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * b.abs();
        assert!(close(l2_norm(&[3e200, 4e200]), 5e200), "{}", l2_norm(&[3e200, 4e200]));
        assert!(close(l2_norm(&[3e-200, -4e-200]), 5e-200));
        assert!(close(l2_norm(&[3.0, 4.0]), 5.0));
        assert_eq!(l2_norm(&[]), 0.0);
        assert!(l2_norm(&[1.0, f64::NAN]).is_nan());
        assert!(l2_norm(&[f64::NAN, f64::INFINITY]).is_nan());
        assert_eq!(l2_norm(&[1.0, f64::NEG_INFINITY]), f64::INFINITY);
        assert!(close(l2_distance(&[1e300, 0.0], &[-1e300, 0.0]), 2e300));
    }

    /// Gradients around 1e200 are finite: clipping shrinks them to the
    /// limit instead of zeroing them (the squares overflow to infinity).
    #[test]
    fn clipping_huge_finite_gradients_keeps_their_direction() {
        let mut grads = vec![3e200, -4e200, 0.0];
        let before = clip_to_norm(&mut grads, 1.0);
        assert!(before.is_finite());
        assert!((grads[0] - 0.6).abs() < 1e-12 && (grads[1] + 0.8).abs() < 1e-12, "{grads:?}");
        let mut small = vec![0.3, 0.4];
        clip_to_norm(&mut small, 1.0);
        assert_eq!(small, vec![0.3, 0.4], "below the limit nothing changes");
    }
}
