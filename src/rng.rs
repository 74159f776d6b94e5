//! Seeded random streams. Every use of randomness (data, initialisation,
//! batch order, dropout) draws from its own stream derived from the run's
//! seed, so changing one (say, the dropout rate) does not reshuffle the
//! others, and a stream can be re-derived from the seed and a counter
//! instead of being saved.

use rand::SeedableRng;

/// A portable generator: the same seed gives the same numbers on every
/// platform and rand release.
pub type EngineRng = rand::rngs::Xoshiro256PlusPlus;

/// The purposes randomness serves; each has an independent stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    Data = 1,
    Split = 2,
    Init = 3,
    BatchOrder = 4,
    Dropout = 5,
    Augment = 6,
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The generator of `stream` number `index` (an epoch, a step, a replica)
/// for `seed`.
pub fn stream_rng(seed: u64, stream: Stream, index: u64) -> EngineRng {
    EngineRng::seed_from_u64(mix(mix(seed) ^ mix((stream as u64) << 56 ^ index)))
}
