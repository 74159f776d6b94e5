//! The handwritten digits: 1,797 grey 8x8 images (Alpaydin & Kaynak 1998,
//! the UCI test set), compiled into the program, split with the seed so
//! every class keeps its share on both sides.

use std::io::Read;

use super::images::{image_dataset, stratified_split};
use super::{Dataset, Inputs};
use crate::nn::Loss;

pub const SIDE: usize = 8;
pub const PIXELS: usize = SIDE * SIDE;
pub const CLASSES: usize = 10;
/// Pixel counts in the file go from 0 to 16.
const FULL_INK: f64 = 16.0;

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
    let labels: Vec<usize> = images.iter().map(|(_, label)| *label).collect();
    let (train, test) = stratified_split(&labels, CLASSES, train_fraction, seed);
    image_dataset(
        SIDE,
        CLASSES,
        loss,
        (&train, &test),
        |i| images[i].1,
        |indices| Inputs::Dense(indices.iter().flat_map(|&i| images[i].0).collect()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Split;

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
}
