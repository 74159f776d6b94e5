//! Fourier features of a network learning modular addition.
//!
//! A network that adds modulo p the way Nanda et al. (2023, "Progress
//! measures for grokking via mechanistic interpretability") found reads
//! each residue through waves cos(2 pi k a / p) and sin(2 pi k a / p) of a
//! few frequencies k, combines the waves of a and b into waves of a + b, and
//! reads the class c off cos(2 pi k (a + b - c) / p). This module measures
//! how far a network has come along that road:
//!
//! - [`Dft`]: the real discrete Fourier transform over the residues
//!   0..p-1, and the [`Spectrum`] of a vector of p weights.
//! - Per hidden neuron of the first layer: the spectrum of its incoming
//!   weights ([`input_spectra`]) and of its outgoing weights as a function
//!   of the class residue ([`output_spectra`]).
//! - [`fourier_progress`]: progress measures over all neurons (how much of
//!   each neuron's power sits at its strongest frequency, how the power is
//!   spread over frequencies).
//! - On the logits of all p^2 pairs ([`pair_logits`]): how much of them
//!   depends on a + b only, per frequency ([`sum_spectrum`]), and Nanda et
//!   al.'s restricted and excluded losses ([`ablate_frequencies`]).
//!
//! # Power
//!
//! Power follows Parseval's theorem: the constant power (p times the mean
//! squared) and the power of the frequencies k = 1..=p/2 add up to the sum
//! of the squared values. Frequency k stands for k and p - k together (a
//! real vector has equal power at both), so each wave of frequency
//! k < p/2 carries a cosine and a sine part; for even p, frequency p/2 is
//! the alternating vector (-1)^n, a cosine only. The constant part carries
//! no wave: it is reported but never counts towards a share.
//!
//! # Supported networks
//!
//! Inputs must be a Pairs plane: the one-hot vector of a (p inputs)
//! followed by that of b (p inputs).
//! - Incoming spectra and [`fourier_progress`]: a dense first layer with
//!   2p inputs and at least one hidden layer; with several hidden layers,
//!   only the first is analysed.
//! - Outgoing spectra: exactly one hidden layer and p outputs, so each
//!   hidden unit's outgoing weights are indexed by the class residue.
//! - Logit measures: any network with 2p inputs and p outputs (evaluated
//!   in evaluation mode: running batch-norm statistics, no dropout).
//!
//! Anything else gives `None`.
//!
//! # Restricted and excluded losses in this MLP
//!
//! Nanda et al.'s transformer used five key frequencies. The `grokking`
//! preset's MLP (p = 59, 256 relu) spreads its neurons over all 29, 5 to
//! 13 neurons each at the end of seeds 1-3; the five strongest hold 21% of
//! the power, and 24 frequencies cover 90% of the final logits' power along
//! waves of a + b. At step 6,000, against the same runs without weight
//! decay (which memorise: test accuracy 0%):
//! - With the final logits' five strongest as key frequencies, the
//!   restricted loss is 2.82-2.83 grokked and 2.75-2.87 memorised: the
//!   same for a network that has the algorithm and one that has none.
//! - With every frequency as key, the restricted logits are each class's
//!   logits averaged over the pairs with the same a + b, where a memorised
//!   half of the table already favours the right class: 0.11-0.12 grokked,
//!   0.14-0.19 memorised. Not a measure of the algorithm either.
//! - The excluded loss with every frequency does separate them: 2.95-2.97
//!   grokked, 0.16-0.19 memorised. During grokking it rises from 2.05 at
//!   step 400 to 2.97 at step 3,000 while the training loss falls from 0.72
//!   to 0.11: the fit comes to rest on the part of the logits that depends
//!   on a + b alone. [`LogitSpectrum::sum_share`] says the same without a
//!   loss: 0.45-0.46 grokked, 0.03 memorised.

use std::f64::consts::TAU;

use serde::Serialize;

use crate::data::{Dataset, InputPlane, encode_pair};
use crate::maths;
use crate::nn::{LayerKind, Loss, Mode, Network, Workspace};

/// A neuron counts as concentrated when its strongest frequency holds more
/// than this share of its wave power.
pub const CONCENTRATED_SHARE: f64 = 0.5;
/// How many of the strongest frequencies [`FourierProgress::strongest_share`]
/// sums: Nanda et al.'s transformer used five.
pub const STRONGEST_COUNT: usize = 5;
/// The share of the power that [`FourierProgress::key_frequency_count`]'s
/// frequencies cover.
pub const KEY_COVERAGE: f64 = 0.9;
/// Bins of [`FourierProgress::share_histogram`] over [0, 1].
pub const SHARE_BINS: usize = 10;
/// Wave power below this fraction of a vector's power is rounding, not a
/// wave (an amplitude ratio of 1e-10).
const ROUNDING_POWER: f64 = 1e-20;

/// The real discrete Fourier transform over the residues 0..p-1, direct
/// (O(p^2)) with precomputed cosine and sine tables: exact to rounding, and
/// fast enough for the moduli a one-hot network is trained on.
#[derive(Debug, Clone)]
pub struct Dft {
    modulus: usize,
    /// cos(2 pi k n / p), row k = 0..=p/2, column n = 0..p-1.
    cos: Vec<f64>,
    sin: Vec<f64>,
}

impl Dft {
    /// # Panics
    /// If `modulus` is below 2 (no wave fits).
    pub fn new(modulus: usize) -> Self {
        assert!(modulus >= 2, "a modulus of {modulus} has no frequencies");
        let rows = modulus / 2 + 1;
        let (mut cos, mut sin) = (Vec::with_capacity(rows * modulus), Vec::with_capacity(rows * modulus));
        for k in 0..rows {
            for n in 0..modulus {
                // Reducing k n modulo p first keeps the angle below 2 pi,
                // where cos and sin are most exact.
                let angle = TAU * ((k * n) % modulus) as f64 / modulus as f64;
                cos.push(maths::cos(angle));
                // At k = 0 and k = p/2 the sine vanishes; sin(pi) would
                // leave 1e-16 instead of 0.
                sin.push(if k == 0 || 2 * k == modulus { 0.0 } else { maths::sin(angle) });
            }
        }
        Self { modulus, cos, sin }
    }

    pub fn modulus(&self) -> usize {
        self.modulus
    }

    /// The frequencies with a wave: 1..=p/2.
    pub fn frequencies(&self) -> usize {
        self.modulus / 2
    }

    fn row(&self, frequency: usize) -> std::ops::Range<usize> {
        frequency * self.modulus..(frequency + 1) * self.modulus
    }

    /// The cosine and sine coefficients of `values` at `frequency`.
    fn coefficients(&self, values: &[f64], frequency: usize) -> (f64, f64) {
        let row = self.row(frequency);
        let (mut c, mut s) = (0.0, 0.0);
        for ((&x, &cos), &sin) in values.iter().zip(&self.cos[row.clone()]).zip(&self.sin[row]) {
            c += x * cos;
            s += x * sin;
        }
        (c, s)
    }

    /// Turns squared coefficients into power, and coefficients back into
    /// the wave: a frequency below p/2 also stands for p - k, hence 2/p.
    fn wave_weight(&self, frequency: usize) -> f64 {
        if 2 * frequency == self.modulus { 1.0 / self.modulus as f64 } else { 2.0 / self.modulus as f64 }
    }

    /// The power spectrum of p values.
    ///
    /// # Panics
    /// If `values` does not hold p values.
    pub fn spectrum(&self, values: &[f64]) -> Spectrum {
        assert_eq!(values.len(), self.modulus, "a spectrum over residues takes one value per residue");
        let sum: f64 = values.iter().sum();
        let power = (1..=self.frequencies())
            .map(|k| {
                let (c, s) = self.coefficients(values, k);
                self.wave_weight(k) * (c * c + s * s)
            })
            .collect();
        Spectrum { constant: sum * sum / self.modulus as f64, power }
    }

    /// Adds the wave of `values` at `frequency` (its projection on that
    /// frequency's cosine and sine) to `out`.
    ///
    /// # Panics
    /// If `frequency` is not in 1..=p/2.
    pub fn add_wave(&self, values: &[f64], frequency: usize, out: &mut [f64]) {
        assert!((1..=self.frequencies()).contains(&frequency), "frequency {frequency} is not in 1..={}", self.frequencies());
        let (c, s) = self.coefficients(values, frequency);
        let weight = self.wave_weight(frequency);
        let row = self.row(frequency);
        for ((o, &cos), &sin) in out.iter_mut().zip(&self.cos[row.clone()]).zip(&self.sin[row]) {
            *o += weight * (c * cos + s * sin);
        }
    }
}

/// How the power of a vector over the residues splits into its constant
/// part and its frequencies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spectrum {
    /// p times the squared mean: the part that is the same for every residue.
    pub constant: f64,
    /// `power[k - 1]`: the power of frequency k, k = 1..=p/2.
    pub power: Vec<f64>,
}

impl Spectrum {
    /// The power of all frequencies, without the constant part.
    pub fn wave_power(&self) -> f64 {
        self.power.iter().sum()
    }

    pub fn power_at(&self, frequency: usize) -> f64 {
        self.power[frequency - 1]
    }

    /// The strongest frequency (the lowest of equals) and its share of the
    /// wave power; `None` when there is no wave (a constant vector).
    pub fn dominant(&self) -> Option<(usize, f64)> {
        let wave = self.wave_power();
        // A constant vector leaves rounding noise of about 1e-32 of its
        // power at every frequency: no wave to pick.
        if wave <= ROUNDING_POWER * (wave + self.constant) || !wave.is_finite() {
            return None;
        }
        let mut best = 0;
        for (index, &power) in self.power.iter().enumerate() {
            if power > self.power[best] {
                best = index;
            }
        }
        Some((best + 1, self.power[best] / wave))
    }

    /// Adds another spectrum over the same modulus, frequency by frequency.
    pub fn add(&mut self, other: &Spectrum) {
        self.constant += other.constant;
        self.power.iter_mut().zip(&other.power).for_each(|(mine, theirs)| *mine += theirs);
    }
}

/// The spectrum of one hidden neuron's weights and its strongest frequency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeuronSpectrum {
    /// The neuron's index in the first hidden layer.
    pub unit: usize,
    pub spectrum: Spectrum,
    /// The strongest frequency; `None` when the weights carry no wave.
    pub frequency: Option<usize>,
    /// The strongest frequency's share of the wave power (0 without a wave).
    pub share: f64,
}

impl NeuronSpectrum {
    fn new(unit: usize, spectrum: Spectrum) -> Self {
        let (frequency, share) = match spectrum.dominant() {
            Some((k, share)) => (Some(k), share),
            None => (None, 0.0),
        };
        Self { unit, spectrum, frequency, share }
    }
}

/// The first layer's weights, `[units][2p]`, if the network reads one-hot
/// pairs modulo `modulus` into a dense hidden layer.
fn first_layer_weights(network: &Network, modulus: usize) -> Option<&[f64]> {
    let layer = network.layers.first()?;
    let fits = modulus >= 2 && network.hidden_layers() >= 1 && layer.kind == LayerKind::Dense && layer.inputs == 2 * modulus;
    fits.then(|| network.weights(0))
}

/// Per neuron of the first hidden layer: the spectrum of its weights from a
/// (the first p inputs) plus that of its weights from b (the next p), so
/// the strongest frequency is the one the neuron reads both numbers at.
pub fn input_spectra(network: &Network, modulus: usize) -> Option<Vec<NeuronSpectrum>> {
    let weights = first_layer_weights(network, modulus)?;
    let dft = Dft::new(modulus);
    let spectra = weights
        .chunks_exact(2 * modulus)
        .enumerate()
        .map(|(unit, row)| {
            let (from_a, from_b) = row.split_at(modulus);
            let mut spectrum = dft.spectrum(from_a);
            spectrum.add(&dft.spectrum(from_b));
            NeuronSpectrum::new(unit, spectrum)
        })
        .collect();
    Some(spectra)
}

/// Per hidden neuron of a one-hidden-layer network: the spectrum of its
/// outgoing weights as a function of the class residue c = 0..p-1. A class's
/// incoming weights come from neurons, which have no order, so it is each
/// neuron's row of outgoing weights that can be a wave: in the algorithm
/// Nanda et al. found, a neuron reading frequency k writes cos(2 pi k c / p
/// + phase) to the logits, the same frequency on both sides.
pub fn output_spectra(network: &Network, modulus: usize) -> Option<Vec<NeuronSpectrum>> {
    first_layer_weights(network, modulus)?;
    let output = network.layers.get(1)?;
    if network.layers.len() != 2 || output.kind != LayerKind::Dense || output.outputs != modulus {
        return None;
    }
    let (weights, units) = (network.weights(1), output.inputs);
    let dft = Dft::new(modulus);
    let mut column = vec![0.0; modulus];
    let spectra = (0..units)
        .map(|unit| {
            column.iter_mut().enumerate().for_each(|(class, w)| *w = weights[class * units + unit]);
            NeuronSpectrum::new(unit, dft.spectrum(&column))
        })
        .collect();
    Some(spectra)
}

/// The outgoing side of [`FourierProgress`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputProgress {
    /// The median share of the strongest frequency in a neuron's outgoing
    /// weights.
    pub median_share: f64,
    /// Of the neurons with waves on both sides, the fraction whose outgoing
    /// strongest frequency is their incoming one.
    pub matching_frequency: f64,
}

/// Progress measures of a network's first layer at one moment of training.
/// Neurons whose incoming weights carry no wave are left out; the shares'
/// statistics are NaN when no neuron is left.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FourierProgress {
    pub modulus: usize,
    /// Neurons with a wave in their incoming weights.
    pub neurons: usize,
    /// The median over neurons of the strongest frequency's share of the
    /// neuron's incoming wave power: about 0.1 for random weights at
    /// p = 59, 1 when every neuron reads a single frequency.
    pub median_share: f64,
    /// The first quartile, median and third quartile of the shares.
    pub share_quartiles: [f64; 3],
    /// Neurons per share bin: [0, 0.1), [0.1, 0.2), ..., [0.9, 1].
    pub share_histogram: [usize; SHARE_BINS],
    /// The strongest frequencies' power summed over neurons, over all
    /// neurons' wave power: the share with each neuron weighted by its
    /// power, so weights decayed to nothing count for little.
    pub power_weighted_share: f64,
    /// `power_by_frequency[k - 1]`: frequency k's power summed over neurons.
    pub power_by_frequency: Vec<f64>,
    /// The [`STRONGEST_COUNT`] frequencies with the most summed power,
    /// strongest first.
    pub strongest_frequencies: Vec<usize>,
    /// Their share of the summed wave power: near 1 when the network uses a
    /// few key frequencies, near 5 / (p/2) when it spreads evenly.
    pub strongest_share: f64,
    /// How many frequencies, strongest first, it takes to cover
    /// [`KEY_COVERAGE`] of the summed power.
    pub key_frequency_count: usize,
    /// `neurons_by_frequency[k - 1]`: neurons whose strongest frequency is k.
    pub neurons_by_frequency: Vec<usize>,
    /// Frequencies that are some neuron's strongest: counts noise too (a
    /// random layer of 256 neurons hits almost all of them).
    pub distinct_frequencies: usize,
    /// Neurons whose share exceeds [`CONCENTRATED_SHARE`].
    pub concentrated_neurons: usize,
    /// Frequencies that are the strongest of some concentrated neuron: the
    /// frequencies the network has settled on.
    pub distinct_concentrated_frequencies: usize,
    /// The outgoing weights, for one-hidden-layer networks.
    pub output: Option<OutputProgress>,
}

/// Type-7 quantile (linear between order statistics) of sorted values;
/// NaN for none.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let position = q * (sorted.len() - 1) as f64;
    let (low, high) = (position.floor() as usize, position.ceil() as usize);
    sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
}

fn sorted_shares<'a>(neurons: impl Iterator<Item = &'a NeuronSpectrum>) -> Vec<f64> {
    let mut shares: Vec<f64> = neurons.filter(|n| n.frequency.is_some()).map(|n| n.share).collect();
    shares.sort_by(f64::total_cmp);
    shares
}

/// Frequencies (1-based) ordered by power, strongest first, the lower of
/// equals first.
fn ranked_frequencies(power_by_frequency: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (1..=power_by_frequency.len()).collect();
    order.sort_by(|&a, &b| power_by_frequency[b - 1].total_cmp(&power_by_frequency[a - 1]).then(a.cmp(&b)));
    order
}

/// The fewest frequencies, strongest first, whose power reaches `coverage`
/// of the total (`power_by_frequency[k - 1]` for frequency k); empty when
/// there is no power.
pub fn key_frequencies(power_by_frequency: &[f64], coverage: f64) -> Vec<usize> {
    let total: f64 = power_by_frequency.iter().sum();
    if total <= 0.0 || !total.is_finite() {
        return Vec::new();
    }
    let mut covered = 0.0;
    let mut keys = Vec::new();
    for k in ranked_frequencies(power_by_frequency) {
        if covered >= coverage * total {
            break;
        }
        covered += power_by_frequency[k - 1];
        keys.push(k);
    }
    keys
}

impl FourierProgress {
    /// The measures of given neuron spectra (incoming, and outgoing for the
    /// same neurons in the same order if there are any).
    pub fn from_spectra(modulus: usize, incoming: &[NeuronSpectrum], outgoing: Option<&[NeuronSpectrum]>) -> Self {
        let frequencies = modulus / 2;
        let shares = sorted_shares(incoming.iter());
        let mut share_histogram = [0; SHARE_BINS];
        for &share in &shares {
            share_histogram[((share * SHARE_BINS as f64) as usize).min(SHARE_BINS - 1)] += 1;
        }
        let mut power_by_frequency = vec![0.0; frequencies];
        let mut neurons_by_frequency = vec![0; frequencies];
        let mut concentrated_by_frequency = vec![0; frequencies];
        let mut dominant_power = 0.0;
        for neuron in incoming {
            let Some(k) = neuron.frequency else { continue };
            power_by_frequency.iter_mut().zip(&neuron.spectrum.power).for_each(|(sum, p)| *sum += p);
            dominant_power += neuron.spectrum.power_at(k);
            neurons_by_frequency[k - 1] += 1;
            if neuron.share > CONCENTRATED_SHARE {
                concentrated_by_frequency[k - 1] += 1;
            }
        }
        let wave_power: f64 = power_by_frequency.iter().sum();
        let ratio = |part: f64| if wave_power > 0.0 { part / wave_power } else { f64::NAN };
        let strongest_frequencies: Vec<usize> = ranked_frequencies(&power_by_frequency).into_iter().take(STRONGEST_COUNT).collect();
        let output = outgoing.map(|outgoing| {
            let both: Vec<(usize, usize)> = incoming.iter().zip(outgoing).filter_map(|(i, o)| Some((i.frequency?, o.frequency?))).collect();
            let matching = both.iter().filter(|(i, o)| i == o).count();
            OutputProgress {
                median_share: quantile(&sorted_shares(outgoing.iter()), 0.5),
                matching_frequency: if both.is_empty() { f64::NAN } else { matching as f64 / both.len() as f64 },
            }
        });
        Self {
            modulus,
            neurons: shares.len(),
            median_share: quantile(&shares, 0.5),
            share_quartiles: [quantile(&shares, 0.25), quantile(&shares, 0.5), quantile(&shares, 0.75)],
            share_histogram,
            power_weighted_share: ratio(dominant_power),
            strongest_share: ratio(strongest_frequencies.iter().map(|&k| power_by_frequency[k - 1]).sum()),
            strongest_frequencies,
            key_frequency_count: key_frequencies(&power_by_frequency, KEY_COVERAGE).len(),
            distinct_frequencies: neurons_by_frequency.iter().filter(|&&n| n > 0).count(),
            concentrated_neurons: concentrated_by_frequency.iter().sum(),
            distinct_concentrated_frequencies: concentrated_by_frequency.iter().filter(|&&n| n > 0).count(),
            neurons_by_frequency,
            power_by_frequency,
            output,
        }
    }
}

/// The progress measures of a network's first layer (and of its output
/// layer, with one hidden layer) on pairs modulo `modulus`.
pub fn fourier_progress(network: &Network, modulus: usize) -> Option<FourierProgress> {
    let incoming = input_spectra(network, modulus)?;
    let outgoing = output_spectra(network, modulus);
    Some(FourierProgress::from_spectra(modulus, &incoming, outgoing.as_deref()))
}

/// The logits of every pair, `[a][b][class]` row-major (p^3 values), in
/// evaluation mode.
pub fn pair_logits(network: &Network, modulus: usize) -> Option<Vec<f64>> {
    if modulus < 2 || network.inputs() != 2 * modulus || network.outputs() != modulus {
        return None;
    }
    let mut workspace = Workspace::new(network, modulus);
    let mut rows = vec![0.0; modulus * 2 * modulus];
    let mut logits = Vec::with_capacity(modulus * modulus * modulus);
    for a in 0..modulus {
        for (b, row) in rows.chunks_exact_mut(2 * modulus).enumerate() {
            encode_pair(modulus, a, b, row);
        }
        workspace.load_input(&rows);
        network.forward(&mut workspace, Mode::Eval);
        logits.extend_from_slice(&workspace.logits()[..modulus * modulus]);
    }
    Some(logits)
}

/// One class's logits averaged along each anti-diagonal: entry s is the
/// mean over the p pairs with a + b = s (mod p). As a function of a + b,
/// this is the projection of the class's logit table on the functions of
/// a + b alone.
fn sum_means(logits: &[f64], modulus: usize, class: usize) -> Vec<f64> {
    let mut means = vec![0.0; modulus];
    for a in 0..modulus {
        for b in 0..modulus {
            means[(a + b) % modulus] += logits[(a * modulus + b) * modulus + class];
        }
    }
    means.iter_mut().for_each(|m| *m /= modulus as f64);
    means
}

fn check_logits(logits: &[f64], modulus: usize) {
    assert!(modulus >= 2, "a modulus of {modulus} has no frequencies");
    assert_eq!(logits.len(), modulus * modulus * modulus, "logits of every pair and class: p^3 values");
}

/// How the logits of all pairs split into parts that depend on a + b alone,
/// frequency by frequency, and the rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogitSpectrum {
    /// The squared logits over all p^2 pairs, summed over classes, after
    /// subtracting each pair's mean over classes (which softmax ignores).
    pub total: f64,
    /// The power of each class's mean over pairs: a bias, the same for
    /// every pair.
    pub constant: f64,
    /// `sum_power[k - 1]`: the power along cos(2 pi k (a + b) / p) and
    /// sin(2 pi k (a + b) / p), the directions the algorithm writes to.
    pub sum_power: Vec<f64>,
    /// Everything that depends on a and b other than through a + b: what a
    /// lookup table of the training pairs needs.
    pub other: f64,
}

impl LogitSpectrum {
    /// The share of the pair-dependent power that depends on a + b alone.
    pub fn sum_share(&self) -> f64 {
        let varying = self.total - self.constant;
        if varying > 0.0 { self.sum_power.iter().sum::<f64>() / varying } else { f64::NAN }
    }
}

/// Decomposes logits `[a][b][class]` (see [`pair_logits`]): the functions
/// of a + b are orthogonal to the rest over all p^2 pairs, and the waves of
/// different frequencies to each other, so the parts add up to the total.
///
/// # Panics
/// If `logits` does not hold p^3 values.
pub fn sum_spectrum(logits: &[f64], modulus: usize) -> LogitSpectrum {
    check_logits(logits, modulus);
    let p = modulus;
    let mut centred = logits.to_vec();
    for row in centred.chunks_exact_mut(p) {
        let mean = row.iter().sum::<f64>() / p as f64;
        row.iter_mut().for_each(|v| *v -= mean);
    }
    let dft = Dft::new(p);
    let mut sum_power = vec![0.0; dft.frequencies()];
    let mut constant = 0.0;
    for class in 0..p {
        // A function of a + b takes each of its p values on p pairs.
        let spectrum = dft.spectrum(&sum_means(&centred, p, class));
        constant += p as f64 * spectrum.constant;
        sum_power.iter_mut().zip(&spectrum.power).for_each(|(sum, power)| *sum += p as f64 * power);
    }
    let total: f64 = centred.iter().map(|v| v * v).sum();
    let other = (total - constant - sum_power.iter().sum::<f64>()).max(0.0);
    LogitSpectrum { total, constant, sum_power, other }
}

/// Nanda et al.'s restricted and excluded losses for a set of key
/// frequencies, on given pairs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrequencyAblation {
    pub key_frequencies: Vec<usize>,
    /// Mean cross-entropy of the unmodified logits.
    pub loss: f64,
    /// Keeping of the logits only each class's mean over pairs and its
    /// waves of a + b at the key frequencies: low once the algorithm
    /// carries the predictions.
    pub restricted_loss: f64,
    /// Removing the waves of a + b at the key frequencies and keeping the
    /// rest: high once the fit of the pairs relies on the algorithm.
    pub excluded_loss: f64,
}

/// Mean softmax cross-entropy of logits `[a][b][class]` on `pairs`,
/// labelled (a + b) mod p; NaN for no pairs.
fn mean_cross_entropy(logits: &[f64], modulus: usize, pairs: &[(usize, usize)]) -> f64 {
    let total: f64 = pairs
        .iter()
        .map(|&(a, b)| {
            let row = &logits[(a * modulus + b) * modulus..][..modulus];
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let log_sum = max + maths::ln(row.iter().map(|z| maths::exp(z - max)).sum::<f64>());
            log_sum - row[(a + b) % modulus]
        })
        .sum();
    total / pairs.len() as f64
}

/// The restricted and excluded losses of logits `[a][b][class]` on `pairs`
/// (Nanda et al. evaluate them on the training pairs). For each class, the
/// key part of its logit table is its projection on cos(2 pi k (a + b) / p)
/// and sin(2 pi k (a + b) / p) for the key frequencies k, computed over all
/// p^2 pairs: the restricted logits are the class's mean plus its key part,
/// the excluded logits are the logits minus their key part. For a
/// one-hidden-layer network this is the same as projecting the hidden
/// activations, as Nanda et al. do, since the readout is linear.
///
/// # Panics
/// If `logits` does not hold p^3 values, or a key frequency is not in
/// 1..=p/2.
pub fn ablate_frequencies(logits: &[f64], modulus: usize, pairs: &[(usize, usize)], key_frequencies: &[usize]) -> FrequencyAblation {
    check_logits(logits, modulus);
    let p = modulus;
    let dft = Dft::new(p);
    let mut restricted = vec![0.0; logits.len()];
    let mut excluded = logits.to_vec();
    for class in 0..p {
        let means = sum_means(logits, p, class);
        let mean = means.iter().sum::<f64>() / p as f64;
        let mut key_part = vec![0.0; p];
        for &k in key_frequencies {
            dft.add_wave(&means, k, &mut key_part);
        }
        for a in 0..p {
            for b in 0..p {
                let index = (a * p + b) * p + class;
                let wave = key_part[(a + b) % p];
                restricted[index] = mean + wave;
                excluded[index] -= wave;
            }
        }
    }
    FrequencyAblation {
        key_frequencies: key_frequencies.to_vec(),
        loss: mean_cross_entropy(logits, p, pairs),
        restricted_loss: mean_cross_entropy(&restricted, p, pairs),
        excluded_loss: mean_cross_entropy(&excluded, p, pairs),
    }
}

/// [`ablate_frequencies`] of a network on its training pairs. `None` unless
/// the data set is modular addition trained with cross-entropy, the
/// network fits it (see [`pair_logits`]) and every key frequency is in
/// 1..=p/2.
pub fn frequency_ablation(network: &Network, data: &Dataset, key_frequencies: &[usize]) -> Option<FrequencyAblation> {
    let InputPlane::Pairs { modulus } = data.plane else { return None };
    if data.loss != Loss::Ce || key_frequencies.iter().any(|&k| k == 0 || k > modulus / 2) {
        return None;
    }
    let logits = pair_logits(network, modulus)?;
    let pairs: Vec<(usize, usize)> = data.train.points.iter().map(|&[a, b]| (a as usize, b as usize)).collect();
    Some(ablate_frequencies(&logits, modulus, &pairs, key_frequencies))
}

/// The progress measures of one probe, as `fourier.csv` has them: how
/// single-frequency the neurons are, how many frequencies they use, how
/// the power is spread over frequencies, and how much of the logits (and
/// of the fit) rests on waves of a + b.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FourierRecord {
    pub step: u64,
    pub median_share: f64,
    /// The first and third quartiles of the neurons' shares.
    pub share_quartiles: (f64, f64),
    /// How many distinct dominant frequencies the neurons have, counting
    /// every neuron, and counting only concentrated ones (share above
    /// [`CONCENTRATED_SHARE`]).
    pub distinct_frequencies: usize,
    pub distinct_concentrated_frequencies: usize,
    pub concentrated_neurons: usize,
    /// Share of all neurons' wave power in the 5 strongest frequencies.
    pub strongest_share: f64,
    /// Each frequency's share of all neurons' wave power (k = 1..=p/2).
    pub power_shares: Vec<f64>,
    /// How many neurons have a single-frequency share in each tenth of
    /// [0, 1]: the distribution moving from about 0.1 to about 0.9 is the
    /// order forming.
    pub share_histogram: [usize; SHARE_BINS],
    /// [`LogitSpectrum::sum_share`]: how much of the logits depends on
    /// a + b alone (cross-entropy networks on modular addition).
    pub sum_share: Option<f64>,
    /// Nanda et al.'s excluded loss with every frequency as key: the
    /// training loss once the logits lose their a + b waves.
    pub excluded_loss: Option<f64>,
}

/// The progress measures of a network at `step`, for a modular-addition
/// data set (`None` otherwise, or for a network the measures do not fit).
pub fn fourier_record(network: &Network, data: &Dataset, step: u64) -> Option<FourierRecord> {
    let InputPlane::Pairs { modulus } = data.plane else { return None };
    let progress = fourier_progress(network, modulus)?;
    let total: f64 = progress.power_by_frequency.iter().sum();
    let power_shares = progress.power_by_frequency.iter().map(|p| if total > 0.0 { p / total } else { 0.0 }).collect();
    let logits = pair_logits(network, modulus);
    let sum_share = logits.as_ref().map(|l| sum_spectrum(l, modulus).sum_share());
    let every_frequency: Vec<usize> = (1..=modulus / 2).collect();
    let excluded_loss = frequency_ablation(network, data, &every_frequency).map(|a| a.excluded_loss);
    Some(FourierRecord {
        step,
        median_share: progress.median_share,
        share_quartiles: (progress.share_quartiles[0], progress.share_quartiles[2]),
        distinct_frequencies: progress.distinct_frequencies,
        distinct_concentrated_frequencies: progress.distinct_concentrated_frequencies,
        concentrated_neurons: progress.concentrated_neurons,
        strongest_share: progress.strongest_share,
        power_shares,
        share_histogram: progress.share_histogram,
        sum_share,
        excluded_loss,
    })
}

/// Every hidden neuron's dominant frequency and share at the end of a run,
/// for `emergence.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeuronFrequency {
    pub unit: usize,
    pub frequency: Option<usize>,
    pub share: f64,
}

pub fn neuron_frequencies(network: &Network, modulus: usize) -> Option<Vec<NeuronFrequency>> {
    Some(
        input_spectra(network, modulus)?
            .into_iter()
            .map(|n| NeuronFrequency { unit: n.unit, frequency: n.frequency, share: n.share })
            .collect(),
    )
}

/// [`sum_spectrum`] of a network's logits on all pairs.
pub fn logit_spectrum(network: &Network, modulus: usize) -> Option<LogitSpectrum> {
    pair_logits(network, modulus).map(|logits| sum_spectrum(&logits, modulus))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::nn::{Activation, EngineRng, Init, NetworkSpec};

    fn wave(modulus: usize, frequency: usize, amplitude: f64, phase: f64) -> Vec<f64> {
        (0..modulus).map(|n| amplitude * (TAU * (frequency * n) as f64 / modulus as f64 + phase).cos()).collect()
    }

    fn spec(modulus: usize, hidden: &[usize]) -> NetworkSpec {
        NetworkSpec {
            inputs: 2 * modulus,
            image: None,
            conv: Vec::new(),
            hidden: hidden.iter().map(|&w| (w, Activation::Relu)).collect(),
            outputs: modulus,
            init: Init::HeNormal,
            gain: 1.0,
            bias_init: 0.0,
            bias_std: 0.0,
            batch_norm: false,
            dropout: 0.0,
            leaky_slope: 0.01,
        }
    }

    #[test]
    fn a_pure_wave_at_any_phase_is_found_with_share_one() {
        for modulus in [59, 23, 8] {
            let dft = Dft::new(modulus);
            for k in 1..=modulus / 2 {
                for phase in [0.0, 0.7, 2.1, -1.3] {
                    // An offset is the constant part: it must not dilute the share.
                    let values: Vec<f64> = wave(modulus, k, 1.7, phase).iter().map(|v| v + 3.0).collect();
                    let spectrum = dft.spectrum(&values);
                    let (frequency, share) = spectrum.dominant().unwrap();
                    assert_eq!(frequency, k, "p = {modulus}, phase {phase}");
                    assert!((share - 1.0).abs() < 1e-12, "p = {modulus}, k = {k}, phase {phase}: share {share}");
                    assert!((spectrum.constant - 9.0 * modulus as f64).abs() < 1e-9);
                    let squares: f64 = values.iter().map(|v| v * v).sum();
                    assert!((spectrum.constant + spectrum.wave_power() - squares).abs() < 1e-9 * squares, "Parseval");
                }
            }
        }
    }

    #[test]
    fn two_waves_split_the_share_by_their_power() {
        let dft = Dft::new(59);
        let values: Vec<f64> = wave(59, 7, 2.0, 0.4).iter().zip(wave(59, 20, 1.0, -2.0)).map(|(a, b)| a + b).collect();
        let spectrum = dft.spectrum(&values);
        assert_eq!(spectrum.dominant().map(|(k, _)| k), Some(7));
        let share = |k| spectrum.power_at(k) / spectrum.wave_power();
        assert!((share(7) - 0.8).abs() < 1e-12 && (share(20) - 0.2).abs() < 1e-12, "{} {}", share(7), share(20));
        // The wave of one frequency is recovered exactly.
        let mut recovered = vec![0.0; 59];
        dft.add_wave(&values, 20, &mut recovered);
        assert!(recovered.iter().zip(wave(59, 20, 1.0, -2.0)).all(|(r, w)| (r - w).abs() < 1e-12));
    }

    #[test]
    fn a_constant_vector_has_no_dominant_frequency() {
        let spectrum = Dft::new(11).spectrum(&[2.0; 11]);
        assert_eq!(spectrum.dominant(), None);
        assert!(spectrum.wave_power() < 1e-24);
    }

    #[test]
    fn white_noise_weights_spread_over_frequencies() {
        let network = Network::new(&spec(59, &[256]), &mut EngineRng::seed_from_u64(7));
        let spectra = input_spectra(&network, 59).unwrap();
        assert_eq!(spectra.len(), 256);
        let max_share = spectra.iter().map(|n| n.share).fold(0.0, f64::max);
        assert!(max_share < 0.4, "max share {max_share}");
        let progress = fourier_progress(&network, 59).unwrap();
        assert!((0.07..0.14).contains(&progress.median_share), "median share {}", progress.median_share);
        assert!(progress.distinct_frequencies >= 25, "{progress:?}");
        assert_eq!(progress.concentrated_neurons, 0);
        assert!(progress.key_frequency_count >= 24, "{progress:?}");
        let output = progress.output.unwrap();
        assert!((0.07..0.14).contains(&output.median_share), "{output:?}");
    }

    /// A one-hidden-layer network on pairs modulo p in which neuron j reads
    /// and writes frequency j mod (p/2) + 1, at phases of its own.
    fn fourier_network(modulus: usize) -> Network {
        let units = 2 * (modulus / 2);
        let mut network = Network::new(&spec(modulus, &[units]), &mut EngineRng::seed_from_u64(1));
        let (incoming, outgoing) = (network.layers[0].weights.clone(), network.layers[1].weights.clone());
        for unit in 0..units {
            let k = unit % (modulus / 2) + 1;
            let phase = unit as f64 * 0.37;
            let row = &mut network.params[incoming.start + unit * 2 * modulus..][..2 * modulus];
            row[..modulus].copy_from_slice(&wave(modulus, k, 1.0, phase));
            row[modulus..].copy_from_slice(&wave(modulus, k, 1.0, 1.0 - phase));
            for (class, w) in wave(modulus, k, 0.5, 2.0 * phase).into_iter().enumerate() {
                network.params[outgoing.start + class * units + unit] = w;
            }
        }
        network
    }

    #[test]
    fn a_fourier_network_is_read_frequency_by_frequency() {
        let network = fourier_network(23);
        let incoming = input_spectra(&network, 23).unwrap();
        let outgoing = output_spectra(&network, 23).unwrap();
        for (unit, (i, o)) in incoming.iter().zip(&outgoing).enumerate() {
            assert_eq!((i.frequency, o.frequency), (Some(unit % 11 + 1), Some(unit % 11 + 1)));
            assert!(i.share > 1.0 - 1e-12 && o.share > 1.0 - 1e-12);
        }
        let progress = fourier_progress(&network, 23).unwrap();
        assert!((progress.median_share - 1.0).abs() < 1e-12);
        assert_eq!(progress.share_histogram[SHARE_BINS - 1], 22);
        assert_eq!(
            (progress.distinct_frequencies, progress.distinct_concentrated_frequencies, progress.concentrated_neurons),
            (11, 11, 22)
        );
        assert_eq!(progress.neurons_by_frequency, vec![2; 11]);
        // Every frequency holds the same power: five hold 5/11, and 90%
        // takes ten of the eleven.
        assert!((progress.strongest_share - 5.0 / 11.0).abs() < 1e-12);
        assert_eq!(progress.key_frequency_count, 10);
        let output = progress.output.unwrap();
        assert_eq!(output.matching_frequency, 1.0);
    }

    #[test]
    fn unsupported_networks_give_none() {
        let deep = Network::new(&spec(23, &[16, 8]), &mut EngineRng::seed_from_u64(1));
        assert!(input_spectra(&deep, 23).is_some(), "the first layer of a deeper network");
        assert!(output_spectra(&deep, 23).is_none());
        assert!(fourier_progress(&deep, 23).unwrap().output.is_none());
        assert!(pair_logits(&deep, 23).is_some());
        let shallow = Network::new(&spec(23, &[16]), &mut EngineRng::seed_from_u64(1));
        assert!(input_spectra(&shallow, 24).is_none(), "another modulus");
        let mut points = spec(23, &[16]);
        points.inputs = 2;
        let points = Network::new(&points, &mut EngineRng::seed_from_u64(1));
        assert!(fourier_progress(&points, 23).is_none() && pair_logits(&points, 23).is_none());
        let mut linear = spec(23, &[]);
        linear.hidden.clear();
        assert!(input_spectra(&Network::new(&linear, &mut EngineRng::seed_from_u64(1)), 23).is_none(), "no hidden layer");
    }

    #[test]
    fn pair_logits_are_the_network_on_one_hot_pairs() {
        let p = 7;
        let network = Network::new(&spec(p, &[5]), &mut EngineRng::seed_from_u64(3));
        let logits = pair_logits(&network, p).unwrap();
        let (w1, b1, w2, b2) = (network.weights(0), network.bias(0), network.weights(1), network.bias(1));
        for (a, b) in [(0, 0), (3, 5), (6, 1)] {
            let hidden: Vec<f64> = (0..5).map(|j| (w1[j * 2 * p + a] + w1[j * 2 * p + p + b] + b1[j]).max(0.0)).collect();
            for c in 0..p {
                let expected = b2[c] + (0..5).map(|j| w2[c * 5 + j] * hidden[j]).sum::<f64>();
                assert!((logits[(a * p + b) * p + c] - expected).abs() < 1e-12);
            }
        }
    }

    /// Logits with two waves of a + b read out at class c, a part that
    /// depends on a alone, and a bias per class.
    fn synthetic_logits(p: usize, waves: &[(usize, f64)], lookup: f64) -> Vec<f64> {
        let mut logits = vec![0.0; p * p * p];
        for a in 0..p {
            for b in 0..p {
                for c in 0..p {
                    let angle = |k: usize| TAU * (k * ((a + b + p - c) % p)) as f64 / p as f64;
                    let sum_part: f64 = waves.iter().map(|&(k, amplitude)| amplitude * angle(k).cos()).sum();
                    let a_part = if c == 1 { lookup * (TAU * (3 * a) as f64 / p as f64).cos() } else { 0.0 };
                    logits[(a * p + b) * p + c] = sum_part + a_part + 0.1 * c as f64;
                }
            }
        }
        logits
    }

    #[test]
    fn logits_split_into_waves_of_the_sum_and_the_rest() {
        let p = 13;
        let pf = p as f64;
        let spectrum = sum_spectrum(&synthetic_logits(p, &[(2, 2.0), (5, 0.5)], 0.7), p);
        let close = |x: f64, y: f64| (x - y).abs() < 1e-9 * y.abs().max(1.0);
        // A wave of amplitude A over p^2 pairs has power A^2 p^2 / 2, in
        // each of p classes.
        assert!(close(spectrum.sum_power[1], 2.0 * pf.powi(3)), "{spectrum:?}");
        assert!(close(spectrum.sum_power[4], pf.powi(3) / 8.0), "{spectrum:?}");
        assert!(spectrum.sum_power.iter().enumerate().all(|(i, &w)| i == 1 || i == 4 || w < 1e-9));
        let bias_spread: f64 = (0..p).map(|c| (0.1 * c as f64 - 0.6).powi(2)).sum();
        assert!(close(spectrum.constant, pf * pf * bias_spread));
        // The class-1 part depends on a alone; centring over classes leaves
        // (1 - 1/p) of it in class 1 and -1/p in the others.
        assert!(close(spectrum.other, 0.49 * pf * pf / 2.0 * (pf - 1.0) / pf), "{spectrum:?}");
        let parts = spectrum.constant + spectrum.sum_power.iter().sum::<f64>() + spectrum.other;
        assert!(close(parts, spectrum.total));
    }

    #[test]
    fn restricted_and_excluded_logits_keep_and_remove_the_key_waves() {
        let p = 13;
        let logits = synthetic_logits(p, &[(2, 2.0), (5, 0.5)], 0.7);
        let pairs: Vec<(usize, usize)> = (0..p).flat_map(|a| (0..p).map(move |b| (a, b))).filter(|(a, b)| (a * 7 + b) % 3 != 0).collect();
        let ablation = ablate_frequencies(&logits, p, &pairs, &[2]);
        // Keeping frequency 2: the class bias and that wave.
        let restricted = mean_cross_entropy(&synthetic_logits(p, &[(2, 2.0)], 0.0), p, &pairs);
        assert!((ablation.restricted_loss - restricted).abs() < 1e-12, "{ablation:?} vs {restricted}");
        assert!((ablation.loss - mean_cross_entropy(&logits, p, &pairs)).abs() < 1e-15);
        // Removing both waves leaves the bias and the part in a.
        let both = ablate_frequencies(&logits, p, &pairs, &[2, 5]);
        let excluded = mean_cross_entropy(&synthetic_logits(p, &[], 0.7), p, &pairs);
        assert!((both.excluded_loss - excluded).abs() < 1e-12, "{both:?} vs {excluded}");
        // The waves carry the fit: without them the loss rises.
        assert!(ablation.restricted_loss < both.excluded_loss && ablation.loss < both.excluded_loss);
    }

    #[test]
    fn key_frequencies_cover_the_power_strongest_first() {
        assert_eq!(key_frequencies(&[1.0, 6.0, 0.0, 3.0], 0.9), vec![2, 4]);
        assert_eq!(key_frequencies(&[1.0, 6.0, 0.0, 3.0], 0.95), vec![2, 4, 1]);
        assert_eq!(key_frequencies(&[0.0, 0.0], 0.9), Vec::<usize>::new());
    }
}
