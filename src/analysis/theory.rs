//! Mean-field signal propagation at initialisation (Poole et al. 2016,
//! "Exponential expressivity in deep neural networks through transient
//! chaos"; Schoenholz et al. 2017, "Deep information propagation").
//!
//! In a network of infinite width whose weights are drawn i.i.d. with zero
//! mean and variance `sigma_w2 / fan_in`, every pre-activation of a layer
//! is Gaussian over the draw of the weights, so a handful of numbers
//! describe how signals and gradients travel through depth:
//!
//! - the pre-activation variance `s_l` (around the constant bias `mu_b`),
//!   through the *variance map*
//!   `s_{l+1} = sigma_w2 E[phi(h)^2] + sigma_b2`, `h ~ N(mu_b, s_l)`;
//! - `chi_1 = sigma_w2 E[phi'(h)^2]`, the factor by which the squared norm
//!   of the backpropagated error changes per layer;
//! - the *correlation map* of two inputs' pre-activations, its fixed point
//!   `c*` and its slope there `chi_c`, which set the depth scale
//!   `xi_c = -1 / ln chi_c` over which inputs stay distinguishable.
//!
//! `chi_1 < 1` is the ordered phase (gradients vanish, inputs merge),
//! `chi_1 > 1` the chaotic one (gradients explode, nearby inputs
//! decorrelate); at `chi_1 = 1`, the edge of chaos, `xi_c` diverges and
//! arbitrarily deep networks can be trained.
//!
//! Everything here is a plain function of the configuration: no data is
//! touched except for the inputs' second moments, and no network is built.
//! A run's prediction is [`theory_for_run`] (or [`theory_for`] and
//! [`theory_for_inputs`] for a bare [`NetworkSpec`]), written as
//! `theory.json`; the phase plane of an activation is [`phase_point`] and
//! [`edge_of_chaos`].

use std::f64::consts::PI;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::data::Dataset;
use crate::nn::{Activation, Init, NetworkSpec};
use crate::train::{PROBE_BATCH, network_spec};

/// How far `chi_1` may be from 1 for the phase to count as critical. One
/// percent per layer compounds to a factor e^(±1) over about a hundred
/// layers: deeper than any network of the lab, so such a network trains as
/// if it were exactly critical.
pub const CRITICAL_TOLERANCE: f64 = 0.01;

/// Above this pre-activation variance a network's signal counts as having
/// exploded: the variance map has no finite fixed point, and squaring the
/// activations would soon overflow.
const VARIANCE_CEILING: f64 = 1e100;

/// Below this, a fixed point of the variance map is reported as 0: the
/// signal dies out with depth.
const VARIANCE_VANISHES: f64 = 1e-60;

/// Expectations under a variance of exactly 0 are taken in the limit of a
/// vanishing variance, which for a kink at the mean averages its two
/// sides (E[relu'(h)^2] -> 1/2 as h -> N(0, 0+), not relu'(0) = 0).
const VARIANCE_FLOOR: f64 = 1e-200;

/// chi_c this close to 1 gives a depth scale -1 / ln(chi_c) above 1e9
/// layers: reported as unbounded.
const UNBOUNDED_DEPTH: f64 = 1e-9;

/// The accuracy of the correlation map's two-dimensional quadrature.
const CORRELATION_GAP_NOISE: f64 = 1e-9;

/// Correlations this close to ±1 are treated as exactly ±1: the
/// conditional variance of one input given the other has vanished.
const CORRELATION_EDGE: f64 = 1e-12;

// ---------------------------------------------------------------------------
// Gaussian expectations

/// A composite Gauss-Legendre rule for E[f(u)], u ~ N(mean, variance),
/// written in the standard normal variable z = (u - mean) / sd on
/// [-z_max, z_max].
///
/// Plain Gauss-Hermite quadrature converges slowly for the functions this
/// module integrates: relu's kink, the step of relu'^2, and tanh at a
/// large variance (a near-step of width 1 / sd) all put a non-analytic or
/// sharp feature between Hermite nodes: with 100 nodes E[relu'(h)^2] for
/// h ~ N(0.3, 1) is off by 0.006 and E[tanh'(h)^2] for h ~ N(0.3, 25) by
/// 9%. Instead the line is cut into panels that
/// (a) are narrow enough for the Gaussian weight (`z_panel`), (b) end
/// exactly at the pre-activation 0, where every activation of the lab
/// has its kink or its steepest part, (c) grow geometrically away from 0
/// on the activation's own scale (|u| = 1/4, 1/2, 1, 2, ...), so a
/// near-step is resolved whatever the variance, and (d) for a periodic
/// activation are at most half a period wide. Each panel is smooth, so
/// Gauss-Legendre converges exponentially on it.
#[derive(Debug, Clone, Copy)]
struct Grid {
    nodes: usize,
    /// The mass of N(0, 1) beyond ±z_max is dropped: 1.5e-23 at 10, 1.2e-15
    /// at 8.
    z_max: f64,
    z_panel: f64,
    /// Caps the panels a periodic activation adds when the variance spans
    /// many periods; beyond it the expectation of the periodic part (which
    /// is damped like e^(-variance / 2)) is no longer resolved.
    max_periodic_panels: usize,
}

/// One-dimensional expectations: about 300 evaluations, accurate to ~1e-13.
const FINE: Grid = Grid { nodes: 12, z_max: 10.0, z_panel: 1.25, max_periodic_panels: 2048 };

/// Each level of a two-dimensional expectation: about 180 evaluations,
/// accurate to ~1e-10.
const COARSE: Grid = Grid { nodes: 10, z_max: 8.0, z_panel: 1.6, max_periodic_panels: 256 };

/// The n-point Gauss-Legendre rule on [-1, 1]: nodes by Newton's method
/// on P_n from Tricomi's estimates, weights 2 / ((1 - x^2) P_n'(x)^2).
pub fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let mut x = (PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            for _ in 0..100 {
                let (p, dp) = legendre(n, x);
                let step = p / dp;
                x -= step;
                if step.abs() <= 1e-16 {
                    break;
                }
            }
            let (_, dp) = legendre(n, x);
            (x, 2.0 / ((1.0 - x * x) * dp * dp))
        })
        .collect()
}

/// P_n(x) and P_n'(x) by the three-term recurrence.
fn legendre(n: usize, x: f64) -> (f64, f64) {
    let (mut previous, mut current) = (1.0, x);
    if n == 0 {
        return (1.0, 0.0);
    }
    for k in 1..n {
        let k = k as f64;
        (previous, current) = (current, ((2.0 * k + 1.0) * x * current - k * previous) / (k + 1.0));
    }
    (current, n as f64 * (x * current - previous) / (x * x - 1.0))
}

fn rule(nodes: usize) -> &'static [(f64, f64)] {
    static RULE_10: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    static RULE_12: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    match nodes {
        10 => RULE_10.get_or_init(|| gauss_legendre(10)),
        12 => RULE_12.get_or_init(|| gauss_legendre(12)),
        _ => unreachable!("only the grids' own rules are cached"),
    }
}

fn standard_normal_density(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * PI).sqrt()
}

/// E[f(u)] for u ~ N(mean, variance), for any f that is smooth except at
/// u = 0, varies on a scale of about 1 there, and grows at most
/// polynomially (every activation of the lab, its square, its slope).
pub fn gaussian_expectation(mean: f64, variance: f64, f: impl FnMut(f64) -> f64) -> f64 {
    expectation(&FINE, None, mean, variance, f)
}

/// As [`gaussian_expectation`], with panels at most `period` wide in u for
/// a periodic f.
fn expectation(grid: &Grid, period: Option<f64>, mean: f64, variance: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
    if !(mean.is_finite() && variance.is_finite()) {
        return f64::NAN;
    }
    let sd = variance.max(VARIANCE_FLOOR).sqrt();
    let z_max = grid.z_max;
    let gaussian_panels = (2.0 * z_max / grid.z_panel).ceil() as usize;
    let evenly = move |panels: usize| (0..=panels).map(move |k| -z_max + 2.0 * z_max * k as f64 / panels as f64);
    let mut cuts: Vec<f64> = evenly(gaussian_panels).collect();
    let mut cut_at = |u: f64| {
        let z = (u - mean) / sd;
        if z.abs() < z_max {
            cuts.push(z);
        }
    };
    cut_at(0.0);
    let reach = mean.abs() + z_max * sd;
    let mut scale = 0.25;
    while scale <= reach {
        cut_at(scale);
        cut_at(-scale);
        scale *= 2.0;
    }
    if let Some(period) = period {
        let panels = ((2.0 * z_max * sd / period).ceil() as usize).min(grid.max_periodic_panels);
        if panels > gaussian_panels {
            cuts.extend(evenly(panels));
        }
    }
    cuts.sort_by(f64::total_cmp);
    let nodes = rule(grid.nodes);
    let mut total = 0.0;
    for pair in cuts.windows(2) {
        let (mid, half) = ((pair[0] + pair[1]) / 2.0, (pair[1] - pair[0]) / 2.0);
        if half <= 1e-15 {
            continue;
        }
        for &(x, w) in nodes {
            let z = mid + half * x;
            total += w * half * standard_normal_density(z) * f(mean + sd * z);
        }
    }
    total
}

/// E[f(u1) g(u2)] for (u1, u2) jointly normal, both with `mean` and
/// `variance`, with correlation `c`: an outer expectation over u1 of f(u1)
/// times the inner expectation of g over u2 given u1, which is normal with
/// mean `mean + c (u1 - mean)` and variance `variance (1 - c^2)`. Both
/// levels cut at the kink, so the oblique kink line of g(u2) costs no
/// accuracy.
fn expectation_2d(period: Option<f64>, mean: f64, variance: f64, c: f64, f: impl Fn(f64) -> f64, g: impl Fn(f64) -> f64) -> f64 {
    let c = c.clamp(-1.0, 1.0);
    if 1.0 - c.abs() <= CORRELATION_EDGE {
        return expectation(&FINE, period, mean, variance, |u| f(u) * g(mean + c.signum() * (u - mean)));
    }
    let conditional_variance = variance * (1.0 - c * c);
    expectation(&COARSE, period, mean, variance, |u1| {
        let outer = f(u1);
        if outer == 0.0 {
            // Half of relu's plane, skipped.
            return 0.0;
        }
        outer * expectation(&COARSE, period, mean + c * (u1 - mean), conditional_variance, &g)
    })
}

// ---------------------------------------------------------------------------
// One step of the recursion

/// One step of the mean-field recursion: a layer's activation function
/// applied to pre-activations h ~ N(`bias_mean`, s), feeding weights of
/// variance `sigma_w2 / fan_in` and biases `bias_mean` plus noise of
/// variance `bias_variance`. Repeating one such step models a deep network
/// of identical layers.
///
/// `bias_mean` is the constant the lab initialises every bias to: it
/// shifts every pre-activation by the same amount, so it enters as the
/// mean of h, not as a variance. `bias_variance` (sigma_b^2 in the papers)
/// is that of the Gaussian noise `network.bias_std` adds to every bias.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanFieldLayer {
    pub activation: Activation,
    /// The slope of `leaky-relu` below 0, as in the network config.
    pub leaky_slope: f64,
    pub sigma_w2: f64,
    pub bias_mean: f64,
    pub bias_variance: f64,
}

/// Where the recursion of one repeated layer settles, and what that means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PhasePoint {
    pub sigma_w2: f64,
    pub bias_variance: f64,
    pub bias_mean: f64,
    /// The fixed point s* of the variance map (variance around
    /// `bias_mean`); `None` when the variance grows without bound.
    pub variance_star: Option<f64>,
    /// q* = s* + bias_mean^2, the pre-activations' second moment there.
    pub q_star: Option<f64>,
    /// chi_1 at s*; without a finite s*, its limit as s grows (the
    /// variance passed 1e100).
    pub chi1: f64,
    /// The stable fixed point of the correlation map: 1 in the ordered
    /// phase, below 1 in the chaotic phase. This is the correlation of two
    /// inputs' pre-activations around `bias_mean`; their cosine similarity
    /// over units is `(c* s* + bias_mean^2) / q*`.
    pub c_star: Option<f64>,
    /// The slope of the correlation map at c*: chi_1 when c* = 1.
    pub chi_c: Option<f64>,
    /// The depth scale -1 / ln(chi_c) over which correlations approach c*;
    /// `None` when it is unbounded (chi_c within 1e-9 of 1 or above: the
    /// edge of chaos) or undefined (no finite s*). JSON has no infinity,
    /// hence the option.
    ///
    /// Where the signal itself dies out (s* = 0: no bias noise and
    /// phi(bias_mean) = 0, as for tanh or relu in the ordered phase without
    /// bias), this is the papers' formula at q* = 0, -1 / ln(chi_1): the
    /// depth over which the signal fades. The correlation of two inputs,
    /// normalised by their shrinking variance, is then hardly pulled
    /// anywhere (for relu and linear layers not at all).
    pub xi_c: Option<f64>,
    pub phase: Phase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// chi_1 < 1 - [`CRITICAL_TOLERANCE`]: gradients shrink with depth and
    /// all inputs converge to one representation.
    Ordered,
    /// |chi_1 - 1| <= [`CRITICAL_TOLERANCE`]: the edge of chaos.
    Critical,
    /// chi_1 > 1 + [`CRITICAL_TOLERANCE`] at a finite fixed point:
    /// gradients grow with depth and nearby inputs decorrelate.
    Chaotic,
    /// chi_1 > 1 + [`CRITICAL_TOLERANCE`] and the variance map has no finite
    /// fixed point (an unbounded activation such as relu or linear with a
    /// large sigma_w2): activations and gradients grow without bound.
    Exploding,
}

impl Phase {
    fn classify(chi1: f64, bounded: bool) -> Self {
        if (chi1 - 1.0).abs() <= CRITICAL_TOLERANCE {
            Self::Critical
        } else if chi1 < 1.0 {
            Self::Ordered
        } else if bounded {
            Self::Chaotic
        } else {
            Self::Exploding
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Ordered => "ordered",
            Self::Critical => "critical",
            Self::Chaotic => "chaotic",
            Self::Exploding => "exploding",
        }
    }
}

impl MeanFieldLayer {
    fn phi(&self, u: f64) -> f64 {
        self.activation.apply(u, self.leaky_slope)
    }

    fn phi_slope(&self, u: f64) -> f64 {
        self.activation.derivative(u, self.phi(u), self.leaky_slope)
    }

    /// sin oscillates forever; the other activations are resolved by the
    /// panels graded around 0.
    fn period(&self) -> Option<f64> {
        (self.activation == Activation::Sin).then_some(PI)
    }

    fn expect(&self, variance: f64, f: impl FnMut(f64) -> f64) -> f64 {
        expectation(&FINE, self.period(), self.bias_mean, variance, f)
    }

    /// E[phi(h)], h ~ N(bias_mean, variance).
    pub fn activation_mean(&self, variance: f64) -> f64 {
        self.expect(variance, |u| self.phi(u))
    }

    /// E[phi(h)^2], h ~ N(bias_mean, variance).
    pub fn activation_second_moment(&self, variance: f64) -> f64 {
        self.expect(variance, |u| self.phi(u).powi(2))
    }

    /// The standard deviation of phi(h) over units and inputs: what a
    /// probe's `act_std` measures.
    pub fn activation_std(&self, variance: f64) -> f64 {
        (self.activation_second_moment(variance) - self.activation_mean(variance).powi(2)).max(0.0).sqrt()
    }

    /// E[phi'(h)^2], h ~ N(bias_mean, variance).
    pub fn slope_second_moment(&self, variance: f64) -> f64 {
        self.expect(variance, |u| self.phi_slope(u).powi(2))
    }

    /// The variance map: the next layer's pre-activation variance around
    /// `bias_mean`. E[phi^2], not the variance of phi, because the next
    /// layer's zero-mean weights turn the mean of phi into spread too.
    pub fn next_variance(&self, variance: f64) -> f64 {
        self.sigma_w2 * self.activation_second_moment(variance) + self.bias_variance
    }

    /// chi_1 = sigma_w2 E[phi'(h)^2]. Backpropagation gives
    /// delta^l_j = phi'(h^l_j) sum_i W_ij delta^{l+1}_i, with Var(W_ij) =
    /// sigma_w2 / N_l; treating W as independent of the forward pass (the
    /// gradient-independence assumption, exact at infinite width for these
    /// norms), each of the N_l sums has variance sigma_w2 |delta^{l+1}|^2 /
    /// N_l, so |delta^l|^2 = chi_1 |delta^{l+1}|^2.
    pub fn chi1(&self, variance: f64) -> f64 {
        self.sigma_w2 * self.slope_second_moment(variance)
    }

    /// The correlation map at the variance `variance` (a fixed point of the
    /// variance map): the next layer's correlation of two inputs'
    /// pre-activations (around `bias_mean`) given this layer's `c`.
    pub fn correlation_map(&self, variance: f64, c: f64) -> f64 {
        if variance <= 0.0 {
            return 1.0;
        }
        let covariance = expectation_2d(self.period(), self.bias_mean, variance, c, |u| self.phi(u), |u| self.phi(u));
        (self.sigma_w2 * covariance + self.bias_variance) / variance
    }

    /// chi_c = sigma_w2 E[phi'(u1) phi'(u2)]: the slope of the correlation
    /// map at `c` (Price's theorem), and the per-layer factor of the
    /// backpropagated errors' inner product for two inputs.
    pub fn chi_c(&self, variance: f64, c: f64) -> f64 {
        self.sigma_w2 * expectation_2d(self.period(), self.bias_mean, variance, c, |u| self.phi_slope(u), |u| self.phi_slope(u))
    }

    /// The fixed point of the variance map that iterating it from
    /// `start_variance` approaches, or `None` if the variance grows past
    /// 1e100. Found by bracketing, not by iterating: near the edge of
    /// chaos the iteration converges only polynomially (tanh at
    /// sigma_w2 = 1, sigma_b2 = 0 has s_l ~ 1 / (2 l)).
    pub fn fixed_variance(&self, start_variance: f64) -> Option<f64> {
        let gap = |s: f64| self.next_variance(s) - s;
        let start = if start_variance.is_finite() && start_variance > 0.0 { start_variance } else { 1.0 };
        let at_start = gap(start);
        if at_start.is_nan() {
            return None;
        }
        // The map moves s toward the nearest fixed point on the side the
        // gap points to: walk that way in factors of 2 until the gap
        // changes sign, then bisect.
        let (mut low, mut high) = (start, start);
        if at_start < 0.0 {
            loop {
                low = high / 2.0;
                if low < VARIANCE_VANISHES {
                    return Some(0.0);
                }
                if gap(low) >= 0.0 {
                    break;
                }
                high = low;
            }
        } else if at_start > 0.0 {
            loop {
                high = low * 2.0;
                if high > VARIANCE_CEILING {
                    return None;
                }
                let at_high = gap(high);
                if at_high.is_nan() {
                    return None;
                }
                if at_high <= 0.0 {
                    break;
                }
                low = high;
            }
        } else {
            return Some(start);
        }
        // gap(low) >= 0 >= gap(high).
        for _ in 0..200 {
            let middle = 0.5 * (low + high);
            if high - low <= 1e-14 * high {
                break;
            }
            if gap(middle) >= 0.0 {
                low = middle;
            } else {
                high = middle;
            }
        }
        Some(0.5 * (low + high))
    }

    /// The stable fixed point of the correlation map at the variance
    /// fixed point `variance`. c = 1 is always a fixed point, with slope
    /// chi_1: stable when chi_1 <= 1. Otherwise the map falls below the
    /// diagonal just under 1, and at c = 0 it is
    /// (sigma_w2 (E phi)^2 + sigma_b2) / s >= 0, so a stable c* lies
    /// between: bisected.
    pub fn fixed_correlation(&self, variance: f64) -> f64 {
        if variance <= 0.0 || self.chi1(variance) <= 1.0 {
            return 1.0;
        }
        let gap = |c: f64| self.correlation_map(variance, c) - c;
        let mut low = 0.0;
        let mut high = None;
        // Just under 1 the gap is about (1 - chi_1)(1 - c), soon below the
        // two-dimensional quadrature's accuracy: only a gap clearly below
        // that counts, else c* is 1 as far as can be told.
        for k in 1..=7 {
            let c = 1.0 - 10f64.powi(-k);
            if gap(c) < -CORRELATION_GAP_NOISE {
                high = Some(c);
                break;
            }
            low = c;
        }
        let Some(mut high) = high else { return 1.0 };
        while high - low > 1e-10 {
            let middle = 0.5 * (low + high);
            if gap(middle) >= 0.0 {
                low = middle;
            } else {
                high = middle;
            }
        }
        0.5 * (low + high)
    }

    /// The fixed points and phase of a deep network repeating this layer,
    /// its signal entering with variance `start_variance`. The start
    /// matters only where the variance map has several fixed points (relu
    /// at exactly sigma_w2 = 2 without bias noise keeps any variance).
    pub fn phase_point(&self, start_variance: f64) -> PhasePoint {
        let variance_star = self.fixed_variance(start_variance);
        let chi1 = self.chi1(variance_star.unwrap_or(VARIANCE_CEILING));
        let (c_star, chi_c) = match variance_star {
            Some(variance) => {
                let c_star = self.fixed_correlation(variance);
                let chi_c = if c_star >= 1.0 { chi1 } else { self.chi_c(variance, c_star) };
                (Some(c_star), Some(chi_c))
            }
            None => (None, None),
        };
        PhasePoint {
            sigma_w2: self.sigma_w2,
            bias_variance: self.bias_variance,
            bias_mean: self.bias_mean,
            variance_star,
            q_star: variance_star.map(|s| s + self.bias_mean * self.bias_mean),
            chi1,
            c_star,
            chi_c,
            xi_c: chi_c.and_then(depth_scale),
            phase: Phase::classify(chi1, variance_star.is_some()),
        }
    }
}

/// -1 / ln(chi), or `None` for chi within [`UNBOUNDED_DEPTH`] of 1 or
/// above: the quadrature cannot tell such a chi from 1, and a billion
/// layers is unbounded for any network.
fn depth_scale(chi: f64) -> Option<f64> {
    (0.0..1.0 - UNBOUNDED_DEPTH).contains(&chi).then(|| -1.0 / chi.ln())
}

/// The phase of a deep network of identical layers with this activation,
/// weight variance `sigma_w2 / fan_in` and bias variance `bias_variance`
/// around `bias_mean`, starting from unit variance: one point of the
/// (sigma_w2, sigma_b2) phase plane. Costs about 3e4 activation
/// evaluations in the ordered phase and 2e6 in the chaotic phase (the
/// correlation fixed point needs two-dimensional integrals).
pub fn phase_point(activation: Activation, leaky_slope: f64, bias_mean: f64, sigma_w2: f64, bias_variance: f64) -> PhasePoint {
    MeanFieldLayer { activation, leaky_slope, sigma_w2, bias_mean, bias_variance }.phase_point(1.0)
}

/// Where, for one bias variance, a deep network of identical layers
/// entered with unit variance leaves the ordered phase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EdgePoint {
    pub bias_variance: f64,
    /// The sigma_w2 where chi_1(q*) crosses 1, or `None` if it does not for
    /// sigma_w2 between 1e-3 and 1e4.
    pub sigma_w2: Option<f64>,
    /// Whether chi_1(q*) passes continuously through 1 there: an edge of
    /// chaos, where xi_c diverges. Otherwise it jumps over 1: gelu and
    /// silu have slope 1/2 at 0 but relu's slope 1 far from it, so their
    /// variance map can have a stable fixed point at small variance
    /// (chi_1 < 1) below an unstable one; as sigma_w2 grows the two meet
    /// and vanish (a saddle-node bifurcation), and past that the signal
    /// explodes. The boundary is then between order and explosion, with
    /// no critical point on it.
    pub continuous: bool,
}

/// The edge for one bias variance: bisection in log sigma_w2 on the sign
/// of chi_1(q*) - 1, which grows with sigma_w2.
pub fn edge_point(activation: Activation, leaky_slope: f64, bias_mean: f64, bias_variance: f64) -> EdgePoint {
    let chi1_at = |sigma_w2: f64| {
        let layer = MeanFieldLayer { activation, leaky_slope, sigma_w2, bias_mean, bias_variance };
        layer.chi1(layer.fixed_variance(1.0).unwrap_or(VARIANCE_CEILING))
    };
    let none = EdgePoint { bias_variance, sigma_w2: None, continuous: false };
    let (mut low, mut high) = (1.0, 4.0);
    while chi1_at(low) > 1.0 {
        low /= 2.0;
        if low < 1e-3 {
            return none;
        }
    }
    while chi1_at(high) < 1.0 {
        high *= 2.0;
        if high > 1e4 {
            return none;
        }
    }
    while high / low > 1.0 + 1e-10 {
        let middle = (low * high).sqrt();
        if chi1_at(middle) < 1.0 {
            low = middle;
        } else {
            high = middle;
        }
    }
    // softplus approaches 1 only as q* grows without bound (like relu
    // with bias noise, but with E[sigmoid^2] -> 1/2 slowly), so the test
    // of continuity is the critical phase's own tolerance.
    let continuous = chi1_at(low) >= 1.0 - CRITICAL_TOLERANCE && chi1_at(high) <= 1.0 + CRITICAL_TOLERANCE;
    EdgePoint { bias_variance, sigma_w2: Some((low * high).sqrt()), continuous }
}

/// The critical sigma_w2 (where chi_1(q*) = 1) for a deep network of
/// identical layers, if the edge is a continuous one (see [`EdgePoint`]).
pub fn critical_sigma_w2(activation: Activation, leaky_slope: f64, bias_mean: f64, bias_variance: f64) -> Option<f64> {
    let edge = edge_point(activation, leaky_slope, bias_mean, bias_variance);
    edge.sigma_w2.filter(|_| edge.continuous)
}

/// The edge of chaos in the (sigma_w2, sigma_b2) plane, one point per bias
/// variance.
pub fn edge_of_chaos(activation: Activation, leaky_slope: f64, bias_mean: f64, bias_variances: &[f64]) -> Vec<EdgePoint> {
    bias_variances.iter().map(|&bias_variance| edge_point(activation, leaky_slope, bias_mean, bias_variance)).collect()
}

// ---------------------------------------------------------------------------
// A whole network

/// Why the theory says nothing about a network.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Inapplicable {
    #[error("batch normalisation rescales every layer's pre-activations to the batch's variance, so the variance map does not apply")]
    BatchNorm,
    #[error("dropout multiplies activations by random masks in training, which the mean-field recursion here leaves out")]
    Dropout,
    #[error("convolution layers share weights across positions and pool; the theory here is for dense layers")]
    Convolution,
    #[error("{} initialisation has no spread of weights (every unit of a layer computes the same thing), so nothing is Gaussian", .0.name())]
    DegenerateInit(Init),
    #[error("the network has no hidden layer to propagate through")]
    NoHiddenLayers,
    #[error("{what} must be a finite number >= 0, not {value}")]
    InvalidInput { what: &'static str, value: f64 },
    #[error("{values} input values do not make whole rows of {width}")]
    InvalidRows { values: usize, width: usize },
}

/// sigma_w2 = fan_in Var(w) of a layer's weights under `init`: the weight
/// variance the mean-field recursion sees. `None` for the schemes without
/// a spread (zeros, constant).
///
/// Any i.i.d. zero-mean scheme qualifies, uniform ones included: at large
/// fan-in a pre-activation is a sum of many independent terms, Gaussian
/// by the central limit theorem whatever the weights' own law. Orthogonal
/// weights are not independent, but their forward map is: a Haar-random
/// unit row's projection on x is Gaussian with variance |x|^2 / fan_in at
/// large width, and Pennington, Schoenholz & Ganguli 2017 show that the
/// variance and correlation maps and chi_1 (the mean squared singular
/// value of the Jacobian) are those of Gaussian weights of equal
/// variance; only higher moments of the Jacobian's spectrum differ. Their
/// variance is gain^2 / fan_in with orthonormal rows (fan_out <= fan_in)
/// and gain^2 / fan_out with orthonormal columns, hence
/// gain^2 min(1, fan_in / fan_out).
pub fn sigma_w2(init: Init, gain: f64, fan_in: usize, fan_out: usize) -> Option<f64> {
    let (fi, fo) = (fan_in as f64, fan_out as f64);
    let g2 = gain * gain;
    match init {
        Init::Zeros | Init::Constant => None,
        // U(±a) has variance a^2 / 3.
        Init::Uniform => Some(g2 / 3.0 * fi),
        Init::Normal => Some(g2 * fi),
        Init::XavierUniform | Init::XavierNormal => Some(g2 * 2.0 * fi / (fi + fo)),
        Init::HeUniform | Init::HeNormal => Some(2.0 * g2),
        Init::LecunNormal => Some(g2),
        Init::Orthogonal => Some(g2 * (fi / fo).min(1.0)),
    }
}

/// What the theory predicts for one hidden layer at initialisation.
/// Quantities are `None` from the layer where the signal's variance
/// passes 1e100 on (overflow in all but name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerTheory {
    pub width: usize,
    pub activation: Activation,
    /// fan_in Var(w) of the weights into this layer.
    pub sigma_w2: f64,
    /// s_l, the variance of a pre-activation around the bias constant.
    pub variance: Option<f64>,
    /// q_l = s_l + bias_init^2, the pre-activations' second moment.
    pub q: Option<f64>,
    pub act_mean: Option<f64>,
    /// The standard deviation of the activations over inputs and units,
    /// as a probe's `act_std` measures it.
    pub act_std: Option<f64>,
    /// chi_1 of this layer: its E[phi'^2] times the next layer's sigma_w2
    /// (the output layer's for the last hidden layer).
    pub chi1: Option<f64>,
    /// Predicted |dL/dW_l| / |dL/dW_out| for one sample; see
    /// [`TheoryReport`].
    pub grad_ratio_to_output: Option<f64>,
}

/// The theory's prediction for a network at initialisation (`theory.json`).
///
/// `layers` follow the recursion through the actual network, layer by
/// layer with each layer's own activation and sigma_w2. `phase`, `chi1`,
/// `xi_c` and the fixed points are those of a deep network repeating the
/// deepest hidden layer (its activation, its sigma_w2), entered with that
/// layer's variance: where a deeper version of this network would head.
///
/// Assumptions: infinite width; i.i.d. zero-mean weights (see
/// [`sigma_w2`] for orthogonal ones); biases all equal to `bias_init`
/// (plus optional i.i.d. noise of variance `bias_variance`); backward
/// weights independent of the forward pass. `grad_ratio_to_output` is for
/// one sample: per sample dL/dW_l = delta_l x_{l-1}^T, so
/// |dL/dW_l|^2 = |delta_l|^2 |x_{l-1}|^2 with |delta_l|^2 =
/// |delta_out|^2 prod_{k >= l} chi_1(k) and |x_{l-1}|^2 = N_{l-1}
/// E[phi_{l-1}^2] (d q_in for the inputs), |delta_out|^2 taken to be
/// independent of the sample. The gradient of a batch's mean
/// loss, which the probes' `grad_norm` measures, also sums
/// (delta^a . delta^b)(x^a . x^b) over pairs of samples, which depend on
/// the correlations between samples at each layer; the ratio of batch
/// gradients agrees with the per-sample one only when those correlations
/// are alike across layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TheoryReport {
    pub applies: bool,
    /// Why not, when it does not apply.
    pub reason: Option<String>,
    pub phase: Option<Phase>,
    pub chi1: Option<f64>,
    pub xi_c: Option<f64>,
    pub q_star: Option<f64>,
    pub c_star: Option<f64>,
    pub chi_c: Option<f64>,
    /// The repeated layer's sigma_w2 behind `phase`.
    pub sigma_w2: Option<f64>,
    pub bias_mean: f64,
    pub bias_variance: f64,
    /// Mean over input features of E[x_j^2].
    pub inputs_second_moment: f64,
    /// How many inputs the recursion followed: 1 for [`theory_for`], the
    /// rows for [`theory_for_inputs`].
    pub input_rows: usize,
    pub layers: Vec<LayerTheory>,
}

/// The mean over input features of E[x_j^2] over the rows: the q_in the
/// first layer's pre-activation variance starts from. `inputs` is
/// row-major `[rows][input_dim]`, so this is the mean of all its squares.
pub fn inputs_second_moment(inputs: &[f64]) -> f64 {
    if inputs.is_empty() {
        return 0.0;
    }
    inputs.iter().map(|x| x * x).sum::<f64>() / inputs.len() as f64
}

/// Every reason the theory does not describe `spec`.
pub fn applicability(spec: &NetworkSpec) -> Vec<Inapplicable> {
    let mut reasons = Vec::new();
    if spec.batch_norm {
        reasons.push(Inapplicable::BatchNorm);
    }
    if spec.dropout > 0.0 {
        reasons.push(Inapplicable::Dropout);
    }
    if !spec.conv.is_empty() {
        reasons.push(Inapplicable::Convolution);
    }
    if sigma_w2(spec.init, spec.gain, 1, 1).is_none() {
        reasons.push(Inapplicable::DegenerateInit(spec.init));
    }
    if spec.hidden.is_empty() {
        reasons.push(Inapplicable::NoHiddenLayers);
    }
    reasons
}

/// The theory for the network a config and its data describe, at
/// initialisation, following each row of the probe batch (the rows the
/// probes measure), with biases `bias_init` plus noise of variance
/// `bias_std^2`. See [`theory_for_inputs`].
pub fn theory_for_run(config: &Config, data: &Dataset) -> TheoryReport {
    let rows = data.train.len().min(PROBE_BATCH);
    let spec = network_spec(config, data);
    theory_for_inputs(&spec, &data.train.inputs[..rows * data.input_dim], spec.bias_std * spec.bias_std)
}

/// The theory for a network spec at initialisation, for inputs whose mean
/// second moment is `inputs_second_moment` (see [`inputs_second_moment`]),
/// and biases `spec.bias_init` plus i.i.d. noise of variance
/// `bias_variance`. A spec the theory does not describe gets
/// `applies: false`, a reason and no numbers.
///
/// Every input is taken to have that second moment. With few input
/// features the rows' own second moments spread widely (2-D points at
/// different radii), and a nonlinear layer's statistics over the batch
/// are then those of a mixture: [`theory_for_inputs`] follows each row.
pub fn theory_for(spec: &NetworkSpec, inputs_second_moment: f64, bias_variance: f64) -> TheoryReport {
    propagate(spec, &[inputs_second_moment], bias_variance, Vec::new())
}

/// As [`theory_for`], following each input row (row-major
/// `[rows][spec.inputs]`) through its own variance recursion: the
/// mean-field recursion holds input by input, and the probes measure
/// statistics over the batch's rows and a layer's units together. Layer
/// statistics are then over the rows: `act_std` is the standard deviation
/// of the mixture, `variance`, `q` and `chi1` are averages over rows, and
/// `grad_ratio_to_output` is the ratio of per-sample squared gradient
/// norms averaged over rows.
pub fn theory_for_inputs(spec: &NetworkSpec, inputs: &[f64], bias_variance: f64) -> TheoryReport {
    let width = spec.inputs.max(1);
    if inputs.is_empty() || !inputs.len().is_multiple_of(width) {
        return propagate(spec, &[], bias_variance, vec![Inapplicable::InvalidRows { values: inputs.len(), width }]);
    }
    let moments: Vec<f64> = inputs.chunks_exact(width).map(inputs_second_moment).collect();
    propagate(spec, &moments, bias_variance, Vec::new())
}

/// The recursion through `spec` for inputs of the given per-row second
/// moments, all weighted alike, unless the caller or the spec gives
/// reasons not to.
fn propagate(spec: &NetworkSpec, input_moments: &[f64], bias_variance: f64, mut reasons: Vec<Inapplicable>) -> TheoryReport {
    let rows = input_moments.len();
    let per_row = |total: f64| total / rows.max(1) as f64;
    let q_in = per_row(input_moments.iter().sum());
    reasons.extend(applicability(spec));
    for (what, value) in [("the inputs' second moment", q_in), ("the bias variance", bias_variance)] {
        if !(value.is_finite() && value >= 0.0) {
            reasons.push(Inapplicable::InvalidInput { what, value });
        }
    }
    let mut report = TheoryReport {
        applies: reasons.is_empty(),
        reason: None,
        phase: None,
        chi1: None,
        xi_c: None,
        q_star: None,
        c_star: None,
        chi_c: None,
        sigma_w2: None,
        bias_mean: spec.bias_init,
        bias_variance,
        inputs_second_moment: q_in,
        input_rows: rows,
        layers: Vec::new(),
    };
    if !reasons.is_empty() {
        report.reason = Some(reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "));
        return report;
    }

    let fans: Vec<usize> = std::iter::once(spec.inputs).chain(spec.hidden.iter().map(|&(width, _)| width)).chain([spec.outputs]).collect();
    // Weights into hidden layer k, for k = 0..hidden, then into the output.
    let weight_variances: Vec<f64> =
        fans.windows(2).map(|w| sigma_w2(spec.init, spec.gain, w[0], w[1]).expect("checked applicable")).collect();
    let step = |k: usize| MeanFieldLayer {
        activation: spec.hidden[k].1,
        leaky_slope: spec.leaky_slope,
        sigma_w2: weight_variances[k + 1],
        bias_mean: spec.bias_init,
        bias_variance,
    };

    // Per row: this layer's pre-activation variance, then per layer the
    // row's chi_1 and |x_l|^2 (|x_{-1}|^2 = the input's).
    let mut variances: Vec<f64> = input_moments.iter().map(|&q| weight_variances[0] * q + bias_variance).collect();
    let mut row_chi1: Vec<Vec<f64>> = Vec::with_capacity(spec.hidden.len());
    let mut row_norms: Vec<Vec<f64>> = vec![input_moments.iter().map(|&q| spec.inputs as f64 * q).collect()];
    for (k, &(width, activation)) in spec.hidden.iter().enumerate() {
        let mut layer = LayerTheory {
            width,
            activation,
            sigma_w2: weight_variances[k],
            variance: None,
            q: None,
            act_mean: None,
            act_std: None,
            chi1: None,
            grad_ratio_to_output: None,
        };
        let known = variances.iter().all(|&s| s.is_finite() && s <= VARIANCE_CEILING);
        if known {
            let law = step(k);
            let (mut variance, mut mean, mut second_moment) = (0.0, 0.0, 0.0);
            let mut norms = Vec::with_capacity(rows);
            let mut chis = Vec::with_capacity(rows);
            for s in &mut variances {
                let row_second_moment = law.activation_second_moment(*s);
                variance += *s;
                mean += law.activation_mean(*s);
                second_moment += row_second_moment;
                chis.push(law.chi1(*s));
                norms.push(width as f64 * row_second_moment);
                *s = law.sigma_w2 * row_second_moment + bias_variance;
            }
            let (variance, mean, second_moment) = (per_row(variance), per_row(mean), per_row(second_moment));
            layer.variance = Some(variance);
            layer.q = Some(variance + spec.bias_init * spec.bias_init);
            layer.act_mean = Some(mean);
            layer.act_std = Some((second_moment - mean * mean).max(0.0).sqrt());
            layer.chi1 = Some(per_row(chis.iter().sum()));
            row_chi1.push(chis);
            row_norms.push(norms);
        } else {
            variances.fill(f64::NAN);
        }
        report.layers.push(layer);
    }

    // Per row, |delta_l|^2 / |delta_out|^2 = prod of chi_1 from layer l to
    // the last; the output layer's |dL/dW|^2 is |delta_out|^2 |x_L|^2.
    if row_chi1.len() == spec.hidden.len() {
        let output_norm = per_row(row_norms[spec.hidden.len()].iter().sum());
        let mut delta_ratio = vec![1.0; rows];
        for k in (0..spec.hidden.len()).rev() {
            delta_ratio.iter_mut().zip(&row_chi1[k]).for_each(|(d, chi)| *d *= chi);
            let weight_norm = per_row(delta_ratio.iter().zip(&row_norms[k]).map(|(d, n)| d * n).sum());
            let ratio = (weight_norm / output_norm).sqrt();
            report.layers[k].grad_ratio_to_output = ratio.is_finite().then_some(ratio);
        }
    }

    let deepest = spec.hidden.len() - 1;
    let repeated = MeanFieldLayer { sigma_w2: weight_variances[deepest], ..step(deepest) };
    let start = report.layers[deepest].variance.unwrap_or(VARIANCE_CEILING * 2.0);
    let point = repeated.phase_point(start);
    report.phase = Some(point.phase);
    report.chi1 = Some(point.chi1);
    report.xi_c = point.xi_c;
    report.q_star = point.q_star;
    report.c_star = point.c_star;
    report.chi_c = point.chi_c;
    report.sigma_w2 = Some(repeated.sigma_w2);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    const TANH_SQUARED: f64 = 0.394_294_490_397_839; // E[tanh(z)^2], z ~ N(0, 1)

    fn layer(activation: Activation, sigma_w2: f64, bias_mean: f64, bias_variance: f64) -> MeanFieldLayer {
        MeanFieldLayer { activation, leaky_slope: 0.01, sigma_w2, bias_mean, bias_variance }
    }

    #[test]
    fn legendre_rules_integrate_polynomials_exactly() {
        for n in [10, 12] {
            let rule = gauss_legendre(n);
            assert!((rule.iter().map(|&(_, w)| w).sum::<f64>() - 2.0).abs() < 1e-14);
            // x^(2n-2) integrates to 2 / (2n - 1) on [-1, 1].
            let even: f64 = rule.iter().map(|&(x, w)| w * x.powi(2 * n as i32 - 2)).sum();
            assert!((even - 2.0 / (2 * n - 1) as f64).abs() < 1e-14, "{n}: {even}");
        }
    }

    #[test]
    fn gaussian_expectations_match_closed_forms() {
        let e = |mean, variance, f: fn(f64) -> f64| gaussian_expectation(mean, variance, f);
        assert!((e(0.0, 1.0, |z| z * z) - 1.0).abs() < 1e-13);
        assert!((e(0.0, 1.0, |z| z.max(0.0).powi(2)) - 0.5).abs() < 1e-13);
        assert!((e(0.0, 1.0, |z| z.tanh().powi(2)) - TANH_SQUARED).abs() < 1e-12);
        // relu(u) - relu(-u) = u and relu(u)^2 + relu(-u)^2 = u^2 hold at
        // any mean, so they test the cut at the kink away from the centre.
        for (mean, variance) in [(0.3, 0.7), (-1.3, 2.5), (0.01, 1e-4), (5.0, 100.0)] {
            let odd = e(mean, variance, |u| u.max(0.0)) - e(mean, variance, |u| (-u).max(0.0));
            assert!((odd - mean).abs() < 1e-12 * (1.0 + mean.abs()), "{mean} {variance}: {odd}");
            let even = e(mean, variance, |u| u.max(0.0).powi(2)) + e(mean, variance, |u| (-u).max(0.0).powi(2));
            assert!((even / (mean * mean + variance) - 1.0).abs() < 1e-12, "{mean} {variance}: {even}");
            let steps = e(mean, variance, |u| f64::from(u > 0.0)) + e(mean, variance, |u| f64::from(u < 0.0));
            assert!((steps - 1.0).abs() < 1e-13);
        }
        // A near-step: tanh'^2 at a large variance (reference by the
        // trapezoidal rule at step 1e-4, spectrally accurate here).
        let tanh = layer(Activation::Tanh, 1.0, 0.3, 0.0);
        assert!((tanh.slope_second_moment(25.0) - 0.105_518_637_543_217_7).abs() < 1e-11);
        // sin: E[sin^2(mean + sd z)] = (1 - e^(-2 variance) cos(2 mean)) / 2.
        let sin_layer = layer(Activation::Sin, 1.0, 0.4, 0.0);
        for variance in [0.1f64, 1.0, 30.0, 400.0] {
            let exact = (1.0 - (-2.0 * variance).exp() * (0.8f64).cos()) / 2.0;
            assert!((sin_layer.activation_second_moment(variance) - exact).abs() < 1e-11, "{variance}");
        }
    }

    #[test]
    fn vanishing_variance_takes_the_limit_at_a_kink() {
        let relu = layer(Activation::Relu, 2.0, 0.0, 0.0);
        assert!((relu.slope_second_moment(0.0) - 0.5).abs() < 1e-13);
        assert!((layer(Activation::Tanh, 1.0, 0.0, 0.0).chi1(0.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn two_dimensional_expectations_match_the_arc_cosine_kernel() {
        let relu = |u: f64| u.max(0.0);
        let step = |u: f64| f64::from(u > 0.0);
        for c in [-0.9, -0.3, 0.0, 0.5, 0.9, 0.999] {
            let variance = 1.7;
            let angle = f64::acos(c);
            let kernel = variance / (2.0 * PI) * ((1.0 - c * c).sqrt() + (PI - angle) * c);
            let got = expectation_2d(None, 0.0, variance, c, relu, relu);
            assert!((got - kernel).abs() < 1e-10, "c = {c}: {got} vs {kernel}");
            let slopes = expectation_2d(None, 0.0, variance, c, step, step);
            assert!((slopes - (PI - angle) / (2.0 * PI)).abs() < 1e-10, "c = {c}: {slopes}");
        }
        // Independent inputs factorise; identical ones give the 1-D moment.
        let tanh = layer(Activation::Tanh, 1.0, 0.2, 0.0);
        let mean = tanh.activation_mean(0.8);
        let apart = expectation_2d(None, 0.2, 0.8, 0.0, f64::tanh, f64::tanh);
        assert!((apart - mean * mean).abs() < 1e-10);
        let together = expectation_2d(None, 0.2, 0.8, 1.0, f64::tanh, f64::tanh);
        assert!((together - tanh.activation_second_moment(0.8)).abs() < 1e-12);
    }

    #[test]
    fn relu_and_linear_have_closed_form_maps() {
        for sigma_w2 in [1.0, 2.0, 3.0] {
            for bias_variance in [0.0, 0.1] {
                let relu = layer(Activation::Relu, sigma_w2, 0.0, bias_variance);
                assert!((relu.next_variance(1.3) - (sigma_w2 * 1.3 / 2.0 + bias_variance)).abs() < 1e-12);
                assert!((relu.chi1(1.3) - sigma_w2 / 2.0).abs() < 1e-12);
                let linear = layer(Activation::Linear, sigma_w2, 0.0, bias_variance);
                assert!((linear.next_variance(1.3) - (sigma_w2 * 1.3 + bias_variance)).abs() < 1e-12);
                assert!((linear.chi1(1.3) - sigma_w2).abs() < 1e-12);
            }
        }
        // relu: s* = sigma_b2 / (1 - sigma_w2 / 2) below the edge, none above.
        let below = layer(Activation::Relu, 1.5, 0.0, 0.1).fixed_variance(1.0).unwrap();
        assert!((below - 0.1 / 0.25).abs() < 1e-10);
        assert_eq!(layer(Activation::Relu, 2.5, 0.0, 0.1).fixed_variance(1.0), None);
        assert_eq!(layer(Activation::Linear, 1.2, 0.0, 0.0).fixed_variance(1.0), None);
        assert_eq!(layer(Activation::Relu, 1.5, 0.0, 0.0).fixed_variance(1.0), Some(0.0));
    }

    #[test]
    fn every_activation_gives_finite_numbers() {
        for activation in Activation::ALL {
            for (sigma_w2, bias_mean) in [(0.5, 0.0), (1.5, 0.1), (4.0, -0.3)] {
                let point = layer(activation, sigma_w2, bias_mean, 0.05).phase_point(1.0);
                assert!(point.chi1.is_finite(), "{activation:?} {sigma_w2}: {point:?}");
                if let Some(c) = point.c_star {
                    assert!((-1.0..=1.0).contains(&c), "{activation:?} {sigma_w2}: {point:?}");
                }
                assert!(serde_json::to_string(&point).is_ok());
            }
        }
    }
}
