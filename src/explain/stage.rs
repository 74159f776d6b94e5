//! The stages of one training step, in the order a class goes through
//! them: forward layer by layer, the loss, backward layer by layer from
//! the output, the update. The app steps through them; the command line
//! names one to open at.

/// One stage of a step. Layers count from 0 here (the first weight layer
/// is 0, the output layer `layers - 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The forward pass through one weight layer.
    Forward(usize),
    /// The loss of the point, and its gradient.
    Loss,
    /// The backward pass through one weight layer, the output layer first.
    Backward(usize),
    /// Each parameter's old value, step and new value.
    Update,
}

impl Default for Stage {
    fn default() -> Self {
        Stage::Forward(0)
    }
}

impl Stage {
    /// Every stage of a step through `layers` weight layers, in order.
    pub fn sequence(layers: usize) -> Vec<Stage> {
        let layers = layers.max(1);
        (0..layers).map(Stage::Forward).chain([Stage::Loss]).chain((0..layers).rev().map(Stage::Backward)).chain([Stage::Update]).collect()
    }

    /// The same stage for a network of `layers` weight layers: a layer it
    /// does not have becomes its last (so `Backward(usize::MAX)` is the
    /// output layer's, where the backward pass starts).
    pub fn within(self, layers: usize) -> Stage {
        let last = layers.max(1) - 1;
        match self {
            Stage::Forward(layer) => Stage::Forward(layer.min(last)),
            Stage::Backward(layer) => Stage::Backward(layer.min(last)),
            other => other,
        }
    }

    /// Where the stage comes in [`Stage::sequence`].
    pub fn position(self, layers: usize) -> usize {
        let within = self.within(layers);
        Stage::sequence(layers).iter().position(|&s| s == within).unwrap_or(0)
    }

    /// The stage after this one; the update is the last.
    pub fn next(self, layers: usize) -> Stage {
        let sequence = Stage::sequence(layers);
        sequence[(self.position(layers) + 1).min(sequence.len() - 1)]
    }

    /// The stage before this one; the first forward layer is the first.
    pub fn previous(self, layers: usize) -> Stage {
        Stage::sequence(layers)[self.position(layers).saturating_sub(1)]
    }

    /// Reads `forward`, `forward:N`, `loss`, `backward`, `backward:N` or
    /// `update`, N a weight layer counted from 1 (`backward` alone is the
    /// output layer, where the backward pass starts).
    pub fn parse(text: &str) -> Result<Stage, String> {
        let text = text.trim();
        let (name, layer) = match text.split_once(':') {
            Some((name, number)) => match number.trim().parse::<usize>() {
                Ok(n) if n >= 1 => (name.trim(), Some(n - 1)),
                _ => return Err(format!("\"{number}\" is not a layer number (1 for the first weight layer)")),
            },
            None => (text, None),
        };
        match (name, layer) {
            ("forward", layer) => Ok(Stage::Forward(layer.unwrap_or(0))),
            ("backward", layer) => Ok(Stage::Backward(layer.unwrap_or(usize::MAX))),
            ("loss", None) => Ok(Stage::Loss),
            ("update", None) => Ok(Stage::Update),
            ("loss" | "update", Some(_)) => Err(format!("\"{text}\": the {name} stage has no layer")),
            _ => Err(format!("\"{text}\" is not a stage: forward, forward:N, loss, backward, backward:N or update")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_go_forward_through_the_loss_and_back() {
        use Stage::*;
        assert_eq!(Stage::sequence(3), vec![Forward(0), Forward(1), Forward(2), Loss, Backward(2), Backward(1), Backward(0), Update]);
        assert_eq!(Update.next(3), Update, "the update is the last stage");
        assert_eq!(Forward(0).previous(3), Forward(0));
        assert_eq!(Loss.previous(3), Forward(2));
        assert_eq!(Backward(usize::MAX).within(3), Backward(2));
        assert_eq!(Forward(5).next(2), Loss, "a layer the network lacks is its last");
    }

    #[test]
    fn stages_parse_from_the_command_line() {
        assert_eq!(Stage::parse("forward"), Ok(Stage::Forward(0)));
        assert_eq!(Stage::parse("forward:2"), Ok(Stage::Forward(1)));
        assert_eq!(Stage::parse("backward").map(|s| s.within(3)), Ok(Stage::Backward(2)));
        assert_eq!(Stage::parse("update"), Ok(Stage::Update));
        assert!(Stage::parse("forward:0").unwrap_err().contains("layer number"));
        assert!(Stage::parse("loss:1").unwrap_err().contains("no layer"));
        assert!(Stage::parse("sideways").unwrap_err().contains("not a stage"));
    }
}
