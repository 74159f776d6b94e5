//! Weight initialisation schemes. `gain` is the one knob: the constant's
//! value, the uniform's half-width, the normal's sigma, and a multiplier of
//! the standard scale of the fan-based schemes.

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    Zeros,
    Constant,
    Uniform,
    Normal,
    /// Glorot & Bengio 2010: U(±gain·sqrt(6 / (fan_in + fan_out))).
    XavierUniform,
    /// N(0, gain²·2 / (fan_in + fan_out)).
    XavierNormal,
    /// He et al. 2015: U(±gain·sqrt(6 / fan_in)).
    HeUniform,
    /// N(0, gain²·2 / fan_in).
    HeNormal,
    /// N(0, gain² / fan_in).
    LecunNormal,
    /// Saxe et al. 2014: a random orthogonal matrix times gain.
    Orthogonal,
}

impl Init {
    pub const ALL: [Init; 10] = [
        Self::Zeros,
        Self::Constant,
        Self::Uniform,
        Self::Normal,
        Self::XavierUniform,
        Self::XavierNormal,
        Self::HeUniform,
        Self::HeNormal,
        Self::LecunNormal,
        Self::Orthogonal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Zeros => "zeros",
            Self::Constant => "constant",
            Self::Uniform => "uniform",
            Self::Normal => "normal",
            Self::XavierUniform => "xavier-uniform",
            Self::XavierNormal => "xavier-normal",
            Self::HeUniform => "he-uniform",
            Self::HeNormal => "he-normal",
            Self::LecunNormal => "lecun-normal",
            Self::Orthogonal => "orthogonal",
        }
    }

    /// Fills a row-major `[fan_out][fan_in]` weight matrix.
    pub fn fill<R: Rng + ?Sized>(self, gain: f64, fan_in: usize, fan_out: usize, weights: &mut [f64], rng: &mut R) {
        self.fill_shaped(gain, (fan_in, fan_out), (fan_out, fan_in), weights, rng);
    }

    /// Fills a row-major `rows x cols` weight matrix whose fans differ from
    /// its shape: a convolution's filters are rows of `in_channels k k`
    /// weights, with fan-in `in_channels k^2` and fan-out `out_channels k^2`.
    pub fn fill_shaped<R: Rng + ?Sized>(
        self,
        gain: f64,
        (fan_in, fan_out): (usize, usize),
        (rows, cols): (usize, usize),
        weights: &mut [f64],
        rng: &mut R,
    ) {
        assert_eq!(weights.len(), rows * cols, "weights must be rows x cols");
        let (fi, fo) = (fan_in as f64, fan_out as f64);
        let uniform = |half: f64, w: &mut [f64], rng: &mut R| {
            for value in w {
                *value = if half > 0.0 { rng.random_range(-half..half) } else { 0.0 };
            }
        };
        let normal = |sigma: f64, w: &mut [f64], rng: &mut R| {
            for value in w {
                let unit = crate::maths::standard_normal(rng);
                *value = sigma * unit;
            }
        };
        match self {
            Self::Zeros => weights.fill(0.0),
            Self::Constant => weights.fill(gain),
            Self::Uniform => uniform(gain, weights, rng),
            Self::Normal => normal(gain, weights, rng),
            Self::XavierUniform => uniform(gain * (6.0 / (fi + fo)).sqrt(), weights, rng),
            Self::XavierNormal => normal(gain * (2.0 / (fi + fo)).sqrt(), weights, rng),
            Self::HeUniform => uniform(gain * (6.0 / fi).sqrt(), weights, rng),
            Self::HeNormal => normal(gain * (2.0 / fi).sqrt(), weights, rng),
            Self::LecunNormal => normal(gain * (1.0 / fi).sqrt(), weights, rng),
            Self::Orthogonal => {
                normal(1.0, weights, rng);
                orthonormalise(weights, rows, cols);
                weights.iter_mut().for_each(|w| *w *= gain);
            }
        }
    }
}

/// Turns a Gaussian `rows x cols` matrix into one with orthonormal columns
/// (if rows >= cols) or orthonormal rows (if rows < cols): the Q of its QR
/// decomposition. Gram-Schmidt yields R with a positive diagonal, which is
/// the convention that makes Q uniformly (Haar) distributed.
fn orthonormalise(matrix: &mut [f64], rows: usize, cols: usize) {
    // Work on whichever of the matrix or its transpose is tall, as columns.
    let tall = rows >= cols;
    let (n, k) = if tall { (rows, cols) } else { (cols, rows) };
    let at = |r: usize, c: usize| if tall { r * cols + c } else { c * cols + r };
    let mut basis: Vec<Vec<f64>> = (0..k).map(|c| (0..n).map(|r| matrix[at(r, c)]).collect()).collect();
    for c in 0..k {
        let (done, rest) = basis.split_at_mut(c);
        let column = &mut rest[0];
        // Modified Gram-Schmidt, run twice: "twice is enough" for
        // orthogonality to working precision (Giraud et al. 2005).
        for _pass in 0..2 {
            for q in done.iter() {
                let projection: f64 = q.iter().zip(column.iter()).map(|(a, b)| a * b).sum();
                column.iter_mut().zip(q).for_each(|(x, q)| *x -= projection * q);
            }
            let norm = column.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm > 0.0 {
                column.iter_mut().for_each(|x| *x /= norm);
            }
        }
    }
    for (c, column) in basis.iter().enumerate() {
        for (r, &value) in column.iter().enumerate() {
            matrix[at(r, c)] = value;
        }
    }
}
