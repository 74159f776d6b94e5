//! What the image data sets share: a seeded split that keeps every class's
//! share on both sides, the splits' labels and targets, and the
//! augmentation of training images.

use rand::RngExt;
use rand::seq::SliceRandom;

use super::{Dataset, InputPlane, Inputs, Split};
use crate::nn::{Loss, TaskKind};
use crate::rng::{EngineRng, Stream, stream_rng};

/// A square-image classification set of `classes` classes from chosen
/// images: `inputs` stores the pixels of the images it is given, in order,
/// `label_of` gives an image's class; the targets are the loss's encoding.
pub fn image_dataset(
    side: usize,
    classes: usize,
    loss: Loss,
    (train, test): (&[usize], &[usize]),
    label_of: impl Fn(usize) -> usize,
    inputs: impl Fn(&[usize]) -> Inputs,
) -> Dataset {
    let task = TaskKind::Classification { classes };
    let target_dim = loss.output_dim(task);
    let encode = |indices: &[usize]| {
        let labels: Vec<f64> = indices.iter().map(|&i| label_of(i) as f64).collect();
        let mut targets = vec![0.0; indices.len() * target_dim];
        for (&label, target) in labels.iter().zip(targets.chunks_exact_mut(target_dim)) {
            loss.encode_target(task, label, target);
        }
        Split { points: Vec::new(), labels, inputs: inputs(indices), targets }
    };
    Dataset {
        task,
        loss,
        plane: InputPlane::Image { width: side, height: side },
        input_dim: side * side,
        target_dim,
        train: encode(train),
        test: encode(test),
    }
}

/// Standard deviation of the augmentation's pixel noise.
const AUGMENT_NOISE: f64 = 0.05;

/// Splits images by class with the seed's split stream: `train_fraction`
/// of each class (rounded; at least one image on each side when the class
/// has two) for training, the rest for testing, each side then shuffled
/// so batches and the probe batch see every class. Returns the indices of
/// the training and the test images.
pub fn stratified_split(labels: &[usize], classes: usize, train_fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = stream_rng(seed, Stream::Split, 0);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in 0..classes {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        members.shuffle(&mut rng);
        let keep = match members.len() {
            n @ (0 | 1) => n,
            n => ((n as f64 * train_fraction).round() as usize).clamp(1, n - 1),
        };
        train.extend_from_slice(&members[..keep]);
        test.extend_from_slice(&members[keep..]);
    }
    train.shuffle(&mut rng);
    test.shuffle(&mut rng);
    (train, test)
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

    #[test]
    fn rare_classes_do_not_break_the_split() {
        let labels = [0, 0, 0, 1, 2, 2];
        let (train, test) = stratified_split(&labels, 4, 0.5, 1);
        assert_eq!(train.len() + test.len(), labels.len());
        assert!(train.iter().any(|&i| labels[i] == 1), "a single image of a class trains");
        assert!(test.iter().any(|&i| labels[i] == 2) && train.iter().any(|&i| labels[i] == 2));
    }
}
