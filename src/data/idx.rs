//! The IDX format of the MNIST files (LeCun et al.), gzip-compressed or
//! plain: a big-endian header (two zero bytes, a type byte, the number of
//! dimensions, then each dimension as a u32) followed by the values. MNIST
//! and Fashion-MNIST use unsigned bytes: images are `0x00000803` (count,
//! rows, columns), labels `0x00000801` (count).

use std::io::Read;

/// The IDX type byte of unsigned bytes, the only type the MNIST files use.
const UNSIGNED_BYTE: u8 = 0x08;
const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// What is wrong with an IDX file's bytes. The file's name is added by
/// [`super::DataError::Idx`].
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    #[error("it is gzip-compressed but does not decompress: {0}")]
    Gzip(#[source] std::io::Error),
    #[error("it decompresses to more than {} (an IDX file of {} images is smaller)", crate::files::human_bytes(*limit), super::MAX_POINTS)]
    TooLarge { limit: u64 },
    #[error("it is {len} bytes long, too short for an IDX header")]
    NoHeader { len: usize },
    #[error("it starts with {found:#010x}, not the IDX {wanted} magic number {expected:#010x}{hint}")]
    WrongMagic { found: u32, expected: u32, wanted: &'static str, hint: &'static str },
    #[error("its header promises {promised} bytes of values ({shape}) but {found} bytes follow it{}", if found < promised { " (truncated?)" } else { "" })]
    WrongLength { shape: String, promised: u64, found: u64 },
}

/// Images as stored: `count` images of `rows x columns` grey levels
/// (0 background, 255 full ink), row-major, one after the other.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub columns: usize,
    pub pixels: Vec<u8>,
}

/// The bytes of a file, decompressed if they are gzip, at most `limit`.
pub fn decompress(bytes: &[u8], limit: u64) -> Result<Vec<u8>, IdxError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        if bytes.len() as u64 > limit {
            return Err(IdxError::TooLarge { limit });
        }
        return Ok(bytes.to_vec());
    }
    let mut plain = Vec::new();
    // A gzip bomb must not fill the memory: read one byte past the limit.
    flate2::read::GzDecoder::new(bytes).take(limit + 1).read_to_end(&mut plain).map_err(IdxError::Gzip)?;
    if plain.len() as u64 > limit {
        return Err(IdxError::TooLarge { limit });
    }
    Ok(plain)
}

/// The magic number and dimensions of an IDX file of unsigned bytes, and
/// where its values start.
fn header(bytes: &[u8], expected: u32, wanted: &'static str) -> Result<(Vec<usize>, usize), IdxError> {
    let word = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let magic = word(0).ok_or(IdxError::NoHeader { len: bytes.len() })?;
    if magic != expected {
        let hint = match magic {
            IMAGES_MAGIC => ": it is an images file (data.images and data.labels swapped?)",
            LABELS_MAGIC => ": it is a labels file (data.images and data.labels swapped?)",
            m if m >> 16 == 0 && (m >> 8) as u8 != UNSIGNED_BYTE => ": its values are not unsigned bytes",
            _ => ": is it an IDX file?",
        };
        return Err(IdxError::WrongMagic { found: magic, expected, wanted, hint });
    }
    let dims = (expected & 0xff) as usize;
    let shape = (0..dims).map(|d| word(4 + 4 * d).map(|v| v as usize)).collect::<Option<Vec<_>>>();
    let shape = shape.ok_or(IdxError::NoHeader { len: bytes.len() })?;
    Ok((shape, 4 + 4 * dims))
}

/// Checks that exactly the promised number of values follows the header.
fn values<'a>(bytes: &'a [u8], start: usize, shape: &[usize]) -> Result<&'a [u8], IdxError> {
    let promised = shape.iter().try_fold(1u64, |total, &d| total.checked_mul(d as u64)).unwrap_or(u64::MAX);
    let found = (bytes.len() - start) as u64;
    if promised != found {
        let shape = shape.iter().map(usize::to_string).collect::<Vec<_>>().join(" x ");
        return Err(IdxError::WrongLength { shape, promised, found });
    }
    Ok(&bytes[start..])
}

/// Reads an images file (magic `0x00000803`) from its decompressed bytes.
pub fn read_images(bytes: &[u8]) -> Result<IdxImages, IdxError> {
    let (shape, start) = header(bytes, IMAGES_MAGIC, "images")?;
    let pixels = values(bytes, start, &shape)?.to_vec();
    Ok(IdxImages { count: shape[0], rows: shape[1], columns: shape[2], pixels })
}

/// Reads a labels file (magic `0x00000801`) from its decompressed bytes.
pub fn read_labels(bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    let (shape, start) = header(bytes, LABELS_MAGIC, "labels")?;
    Ok(values(bytes, start, &shape)?.to_vec())
}

/// The bytes of an IDX file holding `shape` unsigned bytes: for tests and
/// for writing small sets.
pub fn encode(shape: &[usize], values: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, UNSIGNED_BYTE, shape.len() as u8];
    for &d in shape {
        bytes.extend_from_slice(&(d as u32).to_be_bytes());
    }
    bytes.extend_from_slice(values);
    bytes
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn images_and_labels_read_plain_and_compressed() {
        let pixels: Vec<u8> = (0..2 * 3 * 4).map(|v| v as u8).collect();
        let file = encode(&[2, 3, 4], &pixels);
        for bytes in [file.clone(), gzip(&file)] {
            let images = read_images(&decompress(&bytes, 1 << 20).unwrap()).unwrap();
            assert_eq!((images.count, images.rows, images.columns), (2, 3, 4));
            assert_eq!(images.pixels, pixels);
        }
        assert_eq!(read_labels(&decompress(&gzip(&encode(&[3], &[7, 0, 9])), 100).unwrap()).unwrap(), vec![7, 0, 9]);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let labels = encode(&[3], &[1, 2, 3]);
        let message = read_images(&labels).unwrap_err().to_string();
        assert!(message.contains("0x00000801") && message.contains("swapped"), "{message}");
        let message = read_images(&encode(&[2, 3, 4], &[0; 23])).unwrap_err().to_string();
        assert!(message.contains("24 bytes") && message.contains("23") && message.contains("truncated"), "{message}");
        let message = read_labels(&encode(&[2], &[0; 3])).unwrap_err().to_string();
        assert!(message.contains("2 bytes") && message.contains('3') && !message.contains("truncated"), "{message}");
        assert!(matches!(read_labels(&[0, 0, 8]), Err(IdxError::NoHeader { len: 3 })));
        assert!(matches!(read_images(&encode(&[2, 3], &[0; 6])), Err(IdxError::WrongMagic { .. })));
        let text = b"label,pixels\n1,2\n";
        assert!(read_images(text).unwrap_err().to_string().contains("is it an IDX file?"));
        let message = decompress(&[0x1f, 0x8b, 8, 0, 1, 2, 3], 100).unwrap_err().to_string();
        assert!(message.contains("gzip"), "{message}");
        let bomb = gzip(&vec![0; 10_000]);
        assert!(matches!(decompress(&bomb, 1000), Err(IdxError::TooLarge { limit: 1000 })));
    }
}
