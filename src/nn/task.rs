//! What a network is trained to do: pick one of K classes, or predict a
//! number. The loss, the output layer's width and how outputs are read
//! depend on it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaskKind {
    Classification { classes: usize },
    Regression,
}

impl TaskKind {
    pub fn classes(self) -> Option<usize> {
        match self {
            Self::Classification { classes } => Some(classes),
            Self::Regression => None,
        }
    }
}
