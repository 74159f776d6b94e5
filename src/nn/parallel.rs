//! Work split between threads so that the numbers do not depend on which
//! thread does what, or when. A mini-batch is cut into fixed slices of at
//! most [`SLICE_ROWS`] rows (the cut depends on the batch's size alone);
//! threads take the slices as they come free, each slice in the workspace
//! of the thread that takes it (every buffer of a pass is written before it
//! is read), and the slices' weight gradients and loss sums are added in
//! slice order. The result differs from a pass over the whole batch at
//! once (the sums are taken in another order) but not with the number of
//! threads, nor with timing. Forward passes are exact either way: a row's
//! outputs do not depend on the rows beside it.
//!
//! Small slices also keep a convolution's buffers within the caches, and
//! let one thread take over the slices of another that the system has not
//! scheduled yet (on a busy machine, a thread waiting for a fixed share of
//! work is mostly waiting).
//!
//! Only networks with convolutions are trained this way: they are not
//! portable anyway (see [`super::gemm`]), and the small portable networks
//! would lose more to the threads' coordination than they would gain.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::{Loss, Mode, Network, Workspace};

/// The most threads that work on one batch.
pub const MAX_THREADS: usize = 8;

/// The most rows of a slice of a batch.
pub const SLICE_ROWS: usize = 8;

/// CPUs kept out of [`threads`]' default, see [`reserve_cpus`].
static RESERVED_CPUS: AtomicUsize = AtomicUsize::new(0);

/// Keeps `cpus` of the machine's CPUs out of the threads that train a
/// batch (at least one thread still trains): the app keeps one to draw
/// on, which a batch spread over every CPU took from it. Takes effect if
/// called before the first batch; `EMERGENCE_LAB_THREADS` still decides
/// when it is set.
pub fn reserve_cpus(cpus: usize) {
    RESERVED_CPUS.store(cpus, Ordering::Relaxed);
}

/// The number of threads that work on a batch: `EMERGENCE_LAB_THREADS` if
/// set (1 to [`MAX_THREADS`]), else the number of CPUs the program may use
/// less those reserved, at most [`MAX_THREADS`]; always 1 in the browser.
/// It changes the speed, never the numbers.
pub fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        if cfg!(target_arch = "wasm32") {
            return 1;
        }
        let chosen = std::env::var("EMERGENCE_LAB_THREADS").ok().and_then(|v| v.trim().parse::<usize>().ok());
        let available = std::thread::available_parallelism().map_or(1, |n| n.get());
        batch_threads(chosen, available, RESERVED_CPUS.load(Ordering::Relaxed))
    })
}

/// [`threads`] from what was asked, the CPUs there are and those reserved.
fn batch_threads(chosen: Option<usize>, available: usize, reserved: usize) -> usize {
    chosen.unwrap_or(available.saturating_sub(reserved)).clamp(1, MAX_THREADS)
}

/// Runs `work` on every item, on up to [`threads`] threads, each item by
/// exactly one call (which thread makes it changes nothing).
pub fn for_each<T: Send>(items: &mut [T], work: impl Fn(&mut T) + Sync + Send) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        if items.len() > 1 && threads() > 1 {
            pool().install(|| items.par_iter_mut().with_max_len(1).for_each(work));
            return;
        }
    }
    items.iter_mut().for_each(work);
}

/// Runs `work` on each `size`-long chunk of `values` (the last may be
/// shorter), with the chunk's index, on up to [`threads`] threads; which
/// thread takes a chunk changes nothing.
pub fn for_each_chunk<T: Send>(values: &mut [T], size: usize, work: impl Fn(usize, &mut [T]) + Sync + Send) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        if values.len() > size && threads() > 1 {
            pool().install(|| values.par_chunks_mut(size).enumerate().for_each(|(index, chunk)| work(index, chunk)));
            return;
        }
    }
    values.chunks_mut(size).enumerate().for_each(|(index, chunk)| work(index, chunk));
}

/// The threads that train batches: [`threads`] of them, made once.
#[cfg(not(target_arch = "wasm32"))]
fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads())
            .thread_name(|i| format!("emergence-lab batch {i}"))
            .build()
            .expect("the system gives the program threads")
    })
}

/// Parameters per chunk of the slices' gradient sum: a few chunks per
/// thread for the MNIST network's quarter of a million.
const SUM_CHUNK: usize = 1 << 15;

/// One slice of a batch: its rows, its inputs, its gradients.
#[derive(Debug, Clone)]
struct Slice {
    /// Its first row in the batch.
    first: usize,
    rows: usize,
    /// Its input rows (room for a full slice).
    input: Vec<f64>,
    grads: Vec<f64>,
    /// Its rows' summed loss.
    loss: f64,
    /// The first layer (from 0) that held a non-finite value in its last
    /// forward pass.
    broken_layer: Option<usize>,
}

/// A workspace per thread. A slice needs its buffers only while it goes
/// forward and back, which one call does: a thread's slices share them, so
/// a batch takes as many workspaces as threads, not as slices, and a
/// thread's next slice finds them in its caches.
#[derive(Debug)]
struct Workspaces(Vec<Mutex<Workspace>>);

impl Clone for Workspaces {
    fn clone(&self) -> Self {
        Self(self.0.iter().map(|ws| Mutex::new(lock(ws).clone())).collect())
    }
}

/// A workspace's lock. Its buffers are rewritten by every pass, so one a
/// panicking thread left behind is as good as any.
fn lock(ws: &Mutex<Workspace>) -> std::sync::MutexGuard<'_, Workspace> {
    ws.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The index of the calling thread in the pool (0 outside it).
fn thread_index() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    return rayon::current_thread_index().unwrap_or(0);
    #[cfg(target_arch = "wasm32")]
    0
}

/// A mini-batch cut into fixed slices trained on several threads, for
/// networks without dropout or batch normalisation (whose rows do not
/// depend on each other in a forward pass).
#[derive(Debug, Clone)]
pub struct SlicedBatch {
    capacity: usize,
    slice_rows: usize,
    rows: usize,
    inputs: usize,
    slices: Vec<Slice>,
    workspaces: Workspaces,
}

impl SlicedBatch {
    /// Room for batches of up to `capacity` rows, in slices of up to
    /// `slice_rows` rows ([`SLICE_ROWS`] in training).
    pub fn new(network: &Network, capacity: usize, slice_rows: usize) -> Self {
        let capacity = capacity.max(1);
        let slice_rows = slice_rows.clamp(1, capacity);
        let inputs = network.inputs();
        let slices: Vec<Slice> = (0..capacity.div_ceil(slice_rows))
            .map(|_| Slice {
                first: 0,
                rows: 0,
                input: vec![0.0; slice_rows * inputs],
                grads: vec![0.0; network.params.len()],
                loss: 0.0,
                broken_layer: None,
            })
            .collect();
        let workspaces = (0..threads().min(slices.len())).map(|_| Mutex::new(Workspace::for_training(network, slice_rows))).collect();
        Self { capacity, slice_rows, rows: 0, inputs, slices, workspaces: Workspaces(workspaces) }
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

    /// Starts a batch of `rows` rows: cuts it into slices, each full but
    /// the last, and hands `fill` each slice's first row in the batch and
    /// its input rows to fill, in order.
    pub fn load(&mut self, rows: usize, mut fill: impl FnMut(usize, &mut [f64])) {
        assert!(rows <= self.capacity, "batch of {rows} rows exceeds the capacity of {}", self.capacity);
        self.rows = rows;
        let mut first = 0;
        for slice in &mut self.slices {
            slice.first = first;
            slice.rows = self.slice_rows.min(rows - first);
            fill(first, &mut slice.input[..slice.rows * self.inputs]);
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
        let (workspaces, inputs) = (&self.workspaces.0, self.inputs);
        for_each(&mut self.slices, |slice| {
            if slice.rows == 0 {
                slice.loss = 0.0;
                slice.grads.fill(0.0);
                slice.broken_layer = None;
                return;
            }
            let mut ws = lock(&workspaces[thread_index() % workspaces.len()]);
            ws.input_rows(slice.rows).copy_from_slice(&slice.input[..slice.rows * inputs]);
            network.forward(&mut ws, Mode::TrainFixedMasks);
            slice.broken_layer = network.first_non_finite_layer(&ws);
            let targets = &targets[slice.first * dim..(slice.first + slice.rows) * dim];
            let (logits, logits_grad) = ws.logits_and_grad();
            slice.loss = loss.sum_and_grad(logits, targets, slice.rows, dim, logits_grad, scale);
            network.backward(&mut ws, &mut slice.grads);
        });
        // Each gradient summed over the slices in slice order, a range of
        // parameters per thread: the wide dense layers make this a pass over
        // millions of numbers.
        let slices = &self.slices;
        for_each_chunk(grads, SUM_CHUNK, |index, chunk| {
            let range = index * SUM_CHUNK..index * SUM_CHUNK + chunk.len();
            chunk.copy_from_slice(&slices[0].grads[range.clone()]);
            for slice in &slices[1..] {
                chunk.iter_mut().zip(&slice.grads[range.clone()]).for_each(|(g, s)| *g += s);
            }
        });
        let (first, rest) = self.slices.split_first().expect("a batch has a slice");
        let mut total = first.loss;
        for slice in rest {
            total += slice.loss;
        }
        total * scale
    }

    /// The first layer (from 0) holding a non-finite value in any slice
    /// after the last forward pass.
    pub fn first_non_finite_layer(&self) -> Option<usize> {
        self.slices.iter().filter(|s| s.rows > 0).filter_map(|s| s.broken_layer).min()
    }

    /// Each slice's input rows, in batch order (to augment them in place).
    pub fn inputs_mut(&mut self) -> impl Iterator<Item = &mut [f64]> {
        let inputs = self.inputs;
        self.slices.iter_mut().map(move |s| &mut s.input[..s.rows * inputs])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_cpus_leave_at_least_one_thread_and_a_choice_wins() {
        assert_eq!(batch_threads(None, 2, 0), 2);
        assert_eq!(batch_threads(None, 2, 1), 1, "the app on two CPUs: one trains, one draws");
        assert_eq!(batch_threads(None, 1, 1), 1, "one CPU: training still has a thread");
        assert_eq!(batch_threads(None, 16, 1), MAX_THREADS);
        assert_eq!(batch_threads(Some(2), 2, 1), 2, "EMERGENCE_LAB_THREADS decides");
        assert_eq!(batch_threads(Some(0), 4, 0), 1);
    }
}
