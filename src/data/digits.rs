//! The handwritten digits: 1,797 grey 8x8 images (Alpaydin & Kaynak 1998,
//! the UCI test set), compiled into the program, split with the seed so
//! every class keeps its share on both sides, and an augmentation for
//! training (one-pixel shifts and a little noise).

use std::io::Read;

use rand::RngExt;
use rand::seq::SliceRandom;

use super::{Dataset, InputPlane, Split};
use crate::nn::Loss;
use crate::nn::TaskKind;
use crate::rng::{EngineRng, Stream, stream_rng};

pub const SIDE: usize = 8;
pub const PIXELS: usize = SIDE * SIDE;
pub const CLASSES: usize = 10;
/// Pixel counts in the file go from 0 to 16.
const FULL_INK: f64 = 16.0;
/// Standard deviation of the augmentation's pixel noise.
const AUGMENT_NOISE: f64 = 0.05;

const COMPRESSED: &[u8] = include_bytes!("../../assets/digits.csv.gz");

/// Every image (pixels in 0..1) and its label, in file order.
pub fn load_all() -> Vec<([f64; PIXELS], usize)> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(COMPRESSED).read_to_string(&mut text).expect("the bundled digits decompress");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let values: Vec<f64> = line.split(',').map(|v| v.trim().parse().expect("the bundled digits are numbers")).collect();
            let mut pixels = [0.0; PIXELS];
            for (pixel, value) in pixels.iter_mut().zip(&values) {
                *pixel = value / FULL_INK;
            }
            (pixels, values[PIXELS] as usize)
        })
        .collect()
}

/// The digits split with a seeded, stratified shuffle: `train_fraction` of
/// each class for training.
pub fn digits(loss: Loss, train_fraction: f64, seed: u64) -> Dataset {
    let images = load_all();
    let mut rng = stream_rng(seed, Stream::Split, 0);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in 0..CLASSES {
        let mut members: Vec<usize> = (0..images.len()).filter(|&i| images[i].1 == class).collect();
        members.shuffle(&mut rng);
        let keep = ((members.len() as f64 * train_fraction).round() as usize).clamp(1, members.len() - 1);
        train.extend_from_slice(&members[..keep]);
        test.extend_from_slice(&members[keep..]);
    }
    // Interleave the classes, so batches and the probe batch see them all.
    train.shuffle(&mut rng);
    test.shuffle(&mut rng);
    let task = TaskKind::Classification { classes: CLASSES };
    let target_dim = loss.output_dim(task);
    let encode = |indices: &[usize]| {
        let mut split = Split {
            points: Vec::new(),
            labels: Vec::with_capacity(indices.len()),
            inputs: Vec::with_capacity(indices.len() * PIXELS),
            targets: vec![0.0; indices.len() * target_dim],
        };
        for (row, &i) in indices.iter().enumerate() {
            let (pixels, label) = &images[i];
            split.inputs.extend_from_slice(pixels);
            split.labels.push(*label as f64);
            loss.encode_target(task, *label as f64, &mut split.targets[row * target_dim..(row + 1) * target_dim]);
        }
        split
    };
    Dataset {
        task,
        loss,
        plane: InputPlane::Image { width: SIDE, height: SIDE },
        input_dim: PIXELS,
        target_dim,
        train: encode(&train),
        test: encode(&test),
    }
}

/// Augments image rows in place: each is shifted by up to one pixel in x
/// and y (the uncovered edge left blank) and gets Gaussian noise, clamped
/// to 0..1.
pub fn augment(rows: &mut [f64], width: usize, height: usize, rng: &mut EngineRng) {
    let mut shifted = vec![0.0; width * height];
    for image in rows.chunks_exact_mut(width * height) {
        let (dx, dy) = (rng.random_range(-1i64..=1), rng.random_range(-1i64..=1));
        shifted.fill(0.0);
        for y in 0..height as i64 {
            for x in 0..width as i64 {
                let (sx, sy) = (x - dx, y - dy);
                if (0..width as i64).contains(&sx) && (0..height as i64).contains(&sy) {
                    shifted[(y * width as i64 + x) as usize] = image[(sy * width as i64 + sx) as usize];
                }
            }
        }
        for (pixel, &value) in image.iter_mut().zip(&shifted) {
            *pixel = (value + AUGMENT_NOISE * crate::maths::standard_normal(rng)).clamp(0.0, 1.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_digits_load_and_split_by_class() {
        let images = load_all();
        assert_eq!(images.len(), 1797);
        assert!(images.iter().all(|(p, l)| *l < 10 && p.iter().all(|v| (0.0..=1.0).contains(v))));
        let data = digits(Loss::Ce, 0.7, 3);
        assert_eq!(data.train.len() + data.test.len(), 1797);
        for class in 0..10 {
            let count = |split: &Split| split.labels.iter().filter(|&&l| l as usize == class).count() as f64;
            let share = count(&data.train) / (count(&data.train) + count(&data.test));
            assert!((share - 0.7).abs() < 0.02, "class {class}: {share}");
        }
        assert_eq!(data.input_dim, 64);
        assert_ne!(digits(Loss::Ce, 0.7, 4).train, data.train, "the seed decides the split");
    }

    #[test]
    fn augmentation_shifts_by_at_most_a_pixel() {
        let mut image = vec![0.0; 64];
        image[3 * 8 + 4] = 1.0;
        let mut rng = stream_rng(1, Stream::Data, 0);
        for _ in 0..20 {
            let mut copy = image.clone();
            augment(&mut copy, 8, 8, &mut rng);
            let (brightest, _) = copy.iter().enumerate().fold((0, 0.0), |best, (i, &v)| if v > best.1 { (i, v) } else { best });
            let (y, x) = (brightest / 8, brightest % 8);
            assert!(y.abs_diff(3) <= 1 && x.abs_diff(4) <= 1);
            assert!(copy.iter().all(|v| (0.0..=1.0).contains(v)));
        }
    }
}
