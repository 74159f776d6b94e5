//! The network: layers, activations, initialisation, losses, optimisers.

mod activation;
pub mod conv;
pub mod fastmath;
pub mod gemm;
pub mod inference;
mod init;
pub mod kernels;
mod loss;
mod network;
pub mod norms;
mod optim;
pub mod parallel;
mod task;

pub use activation::Activation;
pub use gemm::Precision;
pub use inference::{Evaluation, Inference, InputRows};
pub use init::Init;
pub use loss::{Loss, TaskMismatch, softmax_in_place};
pub use network::{
    BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM, BatchNorm, ConvSpec, Layer, LayerBuffers, LayerKind, Mode, Network, NetworkSpec, Workspace,
};
pub use optim::{ADAM_BETA1, ADAM_BETA2, EPSILON, Optimizer, OptimizerKind, OptimizerSettings, RMSPROP_RHO};
pub use task::TaskKind;

pub use crate::rng::EngineRng;
