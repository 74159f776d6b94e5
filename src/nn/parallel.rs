//! Work split between threads so that the numbers do not depend on which
//! thread finishes first. A mini-batch is cut into fixed slices of rows,
//! one per thread, each with its own workspace; the slices' weight
//! gradients and loss sums are added in slice order. The result depends on
//! the number of slices (sums are taken in another order than over the
//! whole batch at once), never on timing. Forward passes are exact either
//! way: a row's outputs do not depend on the rows beside it.
//!
//! Only networks with convolutions are trained this way: they are not
//! portable anyway (see [`super::gemm`]), and the small portable networks
//! would lose more to the threads' coordination than they would gain.

use std::sync::OnceLock;

use super::{Loss, Mode, Network, Workspace};

/// The most threads a batch is split between.
pub const MAX_THREADS: usize = 8;

/// The number of slices a batch is split into: `EMERGENCE_LAB_THREADS` if
/// set (1 to [`MAX_THREADS`]), else the number of CPUs the program may use,
/// at most [`MAX_THREADS`]; always 1 in the browser. A run's
/// `summary.json` records it: the same seed on the same machine with the
/// same number gives the same bits.
pub fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        if cfg!(target_arch = "wasm32") {
            return 1;
        }
        let chosen = std::env::var("EMERGENCE_LAB_THREADS").ok().and_then(|v| v.trim().parse::<usize>().ok());
        let available = std::thread::available_parallelism().map_or(1, |n| n.get());
        chosen.unwrap_or(available).clamp(1, MAX_THREADS)
    })
}

/// Runs `work` on every item, on several threads where there are any;
/// each item is worked on by exactly one call.
pub fn for_each<T: Send>(items: &mut [T], work: impl Fn(&mut T) + Sync + Send) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        if items.len() > 1 {
            items.par_iter_mut().for_each(work);
            return;
        }
    }
    items.iter_mut().for_each(work);
}

/// One slice of a batch: its rows, its workspace, its gradients.
#[derive(Debug, Clone)]
struct Slice {
    /// Its first row in the batch.
    first: usize,
    rows: usize,
    ws: Workspace,
    grads: Vec<f64>,
    /// Its rows' summed loss.
    loss: f64,
}

/// A mini-batch cut into fixed slices trained on separate threads, for
/// networks without dropout or batch normalisation (whose rows do not
/// depend on each other in a forward pass).
#[derive(Debug, Clone)]
pub struct SlicedBatch {
    capacity: usize,
    rows: usize,
    slices: Vec<Slice>,
}

impl SlicedBatch {
    /// Room for batches of up to `capacity` rows in `parts` slices.
    pub fn new(network: &Network, capacity: usize, parts: usize) -> Self {
        let capacity = capacity.max(1);
        let parts = parts.clamp(1, capacity);
        let slices = (0..parts)
            .map(|_| Slice {
                first: 0,
                rows: 0,
                ws: Workspace::new(network, capacity.div_ceil(parts)),
                grads: vec![0.0; network.params.len()],
                loss: 0.0,
            })
            .collect();
        Self { capacity, rows: 0, slices }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn parts(&self) -> usize {
        self.slices.len()
    }

    /// The rows of the current batch.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Starts a batch of `rows` rows: cuts it into slices as even as they
    /// can be (the first ones a row longer) and hands `fill` each slice's
    /// first row in the batch and its input rows to fill, in order.
    pub fn load(&mut self, rows: usize, mut fill: impl FnMut(usize, &mut [f64])) {
        assert!(rows <= self.capacity, "batch of {rows} rows exceeds the capacity of {}", self.capacity);
        self.rows = rows;
        let parts = self.slices.len();
        let mut first = 0;
        for (index, slice) in self.slices.iter_mut().enumerate() {
            slice.first = first;
            slice.rows = rows / parts + usize::from(index < rows % parts);
            fill(first, slice.ws.input_rows(slice.rows));
            first += slice.rows;
        }
    }

    /// Forward, loss and backward of the batch, each slice on its own
    /// thread; writes the mean loss's gradient into `grads` (the slices'
    /// sums, added in slice order) and returns the mean loss over the
    /// batch. `targets` are the batch's target rows.
    pub fn train(&mut self, network: &Network, loss: Loss, targets: &[f64], grads: &mut [f64]) -> f64 {
        let dim = network.outputs();
        let scale = 1.0 / self.rows as f64;
        for_each(&mut self.slices, |slice| {
            if slice.rows == 0 {
                slice.loss = 0.0;
                slice.grads.fill(0.0);
                return;
            }
            network.forward(&mut slice.ws, Mode::TrainFixedMasks);
            let targets = &targets[slice.first * dim..(slice.first + slice.rows) * dim];
            let (logits, logits_grad) = slice.ws.logits_and_grad();
            slice.loss = loss.sum_and_grad(logits, targets, slice.rows, dim, logits_grad, scale);
            network.backward(&mut slice.ws, &mut slice.grads);
        });
        let (first, rest) = self.slices.split_first().expect("a batch has a slice");
        grads.copy_from_slice(&first.grads);
        let mut total = first.loss;
        for slice in rest {
            grads.iter_mut().zip(&slice.grads).for_each(|(g, s)| *g += s);
            total += slice.loss;
        }
        total * scale
    }

    /// The first layer (from 0) holding a non-finite value in any slice
    /// after the last forward pass.
    pub fn first_non_finite_layer(&self, network: &Network) -> Option<usize> {
        self.slices.iter().filter(|s| s.rows > 0).filter_map(|s| network.first_non_finite_layer(&s.ws)).min()
    }

    /// Each slice's input rows, in batch order (to augment them in place).
    pub fn inputs_mut(&mut self) -> impl Iterator<Item = &mut [f64]> {
        self.slices.iter_mut().map(|s| {
            let n = s.rows * s.ws.inputs();
            &mut s.ws.input[..n]
        })
    }
}
