//! Claims a machine can check: a lesson step's `checks`, each a short
//! sentence about the run's own outputs, such as
//!
//! ```text
//! test_acc >= 0.95 by step 300
//! dead_frac(2) at step 100 > 0.5
//! grad_norm(1) / grad_norm(last) at step 0 < 1e-5
//! diverges before step 10
//! agreement > agreement_chance at the end on 8 of 10 seeds
//! ```
//!
//! A check is parsed against its step's resolved config, so a layer that
//! does not exist, a step the run never reaches or a measure the step
//! cannot take is a lesson error, not a surprise in front of a class.
//! Checks are judged over a run's evidence (its probe records, homogeneity
//! measures and divergence) as far as the run has gone: passed, failed, or
//! not yet decidable. The same judgement serves the headless verification
//! ([`super::verify`]) and the app ([`LiveChecks`]).

use std::fmt;

use crate::analysis::fourier::FourierRecord;
use crate::analysis::homogeneity::HomogeneitySummary;
use crate::config::Config;
use crate::data::DatasetKind;
use crate::run::session::SessionView;
use crate::train::{Divergence, ProbeRecord};

/// How many of how many seeds must pass a check, as in `"8 of 10"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedShare {
    pub passes: u32,
    pub of: u32,
}

impl SeedShare {
    /// What a lesson promises unless it says otherwise: what a class sees
    /// on most seeds, not on a lucky one.
    pub const DEFAULT: SeedShare = SeedShare { passes: 8, of: 10 };

    /// Parses `"K of N"` (1 <= K <= N <= 1000).
    pub fn parse(text: &str) -> Result<Self, CheckError> {
        let bad = || CheckError::Seeds(text.to_string());
        let words: Vec<&str> = text.split_whitespace().collect();
        let [passes, "of", of] = words[..] else { return Err(bad()) };
        let (passes, of): (u32, u32) = (passes.parse().map_err(|_| bad())?, of.parse().map_err(|_| bad())?);
        if passes == 0 || passes > of || of > 1000 {
            return Err(bad());
        }
        Ok(Self { passes, of })
    }

    /// The passes required among `seeds` seeds: the same share, rounded
    /// down (a smaller sample cannot tell 8 of 10 from 9 of 10), and at
    /// least one.
    pub fn required(self, seeds: u32) -> u32 {
        if seeds == 0 {
            return 0;
        }
        ((u64::from(self.passes) * u64::from(seeds) / u64::from(self.of)) as u32).max(1)
    }
}

impl fmt::Display for SeedShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {}", self.passes, self.of)
    }
}

/// Why a check cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CheckError {
    #[error("unexpected character '{0}'")]
    Character(char),
    #[error("\"{0}\" is not a number")]
    Number(String),
    #[error("expected {expected}, found {found}")]
    Expected { expected: &'static str, found: String },
    #[error("unknown quantity \"{0}\"; the quantities are {QUANTITY_NAMES}")]
    UnknownQuantity(String),
    #[error("{0} is for the whole run, without a layer")]
    NoLayerWanted(String),
    #[error("{0} needs a layer, as in {0}(1) or {0}(last)")]
    LayerWanted(String),
    #[error("{quantity}({layer}): this network has {count} such layers")]
    NoSuchLayer { quantity: String, layer: String, count: usize },
    #[error("{0}(all) is only for dead_frac and sat_frac of a network without convolutions")]
    NoAll(String),
    #[error("{0} compares replicas, and this step trains one network (set replicas.count)")]
    NeedsReplicas(String),
    #[error("{0} measures the waves of modular addition, and this step's data set is another (data.dataset = \"modular-addition\")")]
    NeedsPairs(String),
    #[error("step {step} is not a probe step: this step probes every {log_every} steps")]
    NotProbeStep { step: u64, log_every: u64 },
    #[error("step {step} is after the end of training (training.steps = {steps})")]
    AfterEnd { step: u64, steps: u64 },
    #[error("say when: add \"at step N\", \"at the end\", \"by step N\" or \"until step N\"")]
    NoTime,
    #[error("say either when to compare (\"at step N\") or within which steps (\"by step N\", \"until step N\"), not both")]
    TwoTimes,
    #[error("it compares two numbers, not the run")]
    NothingMeasured,
    #[error("\"{0}\" is not a share of seeds such as \"8 of 10\" (at least 1, at most all, of at most 1000)")]
    Seeds(String),
}

const QUANTITY_NAMES: &str = "train_loss, test_loss, train_acc, test_acc; per layer (1 is the first, last the output): grad_norm, \
     weight_norm, update_ratio, act_mean, act_std, dead_frac, sat_frac; within_layer(k) for hidden layers; with replicas: agreement, \
     far_agreement, cka(k), cosine, matched_cosine (each also with _chance), mean_test_acc; min(q) and max(q) of any of them so far";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LayerStat {
    GradNorm,
    WeightNorm,
    UpdateRatio,
    ActMean,
    ActStd,
    DeadFrac,
    SatFrac,
}

/// Which layers a per-layer quantity reads.
#[derive(Debug, Clone, PartialEq)]
enum Layers {
    /// One layer, counted from 0 here (from 1 in the text).
    One(usize),
    /// Every hidden layer, each weighted by its width: the fraction of all
    /// hidden units.
    Hidden(Vec<usize>),
}

/// A number read off one probe record.
#[derive(Debug, Clone, PartialEq)]
enum RecordQuantity {
    TrainLoss,
    TestLoss,
    TrainAcc,
    TestAcc,
    Layer(LayerStat, Layers),
}

/// A number read off one homogeneity measurement (means over pairs of
/// replicas, or over replicas).
#[derive(Debug, Clone, Copy, PartialEq)]
enum MeasureQuantity {
    Agreement,
    AgreementChance,
    FarAgreement,
    FarAgreementChance,
    Cka(usize),
    CkaChance(usize),
    Cosine,
    CosineChance,
    MatchedCosine,
    MatchedCosineChance,
    WithinLayer(usize),
    MeanTestAcc,
}

#[derive(Debug, Clone, PartialEq)]
enum Quantity {
    Record(RecordQuantity),
    Measure(MeasureQuantity),
    /// Modular addition: the median over hidden neurons of the share of
    /// their incoming weights' wave power at their dominant frequency.
    WaveShare,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extreme {
    Min,
    Max,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Add,
    Subtract,
    Multiply,
    Divide,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Number(f64),
    Read {
        quantity: Quantity,
        /// Its lowest or highest value at every probe up to the step it is
        /// read at.
        extreme: Option<Extreme>,
        /// The step it is read at, if the check names one for it; else
        /// each step of the check's window.
        at: Option<u64>,
    },
    Negate(Box<Expr>),
    Binary(Operator, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Self::Less => left < right,
            Self::LessOrEqual => left <= right,
            Self::Greater => left > right,
            Self::GreaterOrEqual => left >= right,
        }
    }
}

/// When a comparison is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    /// Once, every quantity at its own step.
    At,
    /// At some probe up to and including this step.
    By(u64),
    /// At every probe up to and including this step.
    Until(u64),
}

#[derive(Debug, Clone, PartialEq)]
enum Claim {
    /// The run diverges at a step up to and including this one.
    Diverges {
        by: u64,
    },
    /// No step up to and including this one diverges.
    Stable {
        through: u64,
    },
    Compare {
        left: Expr,
        comparison: Comparison,
        right: Expr,
        window: Window,
    },
}

/// One check of a lesson step, parsed against the step's config.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// As the lesson wrote it.
    pub text: String,
    /// How many seeds must pass.
    pub seeds: SeedShare,
    claim: Claim,
}

/// What of a step's config a check must know to be read.
struct Shape {
    steps: u64,
    log_every: u64,
    /// Weight layers as probes count them (convolutions, pools, hidden,
    /// output).
    layers: usize,
    /// Hidden layer widths, for networks without convolutions.
    dense_hidden: Option<Vec<usize>>,
    replicas: usize,
    /// Modular addition, whose waves the Fourier measures read.
    pairs: bool,
}

impl Shape {
    fn of(config: &Config) -> Self {
        let image = config.data.dataset.image_side().is_some();
        let conv_layers = if image { config.network.conv.iter().map(|c| 1 + usize::from(c.pool)).sum() } else { 0 };
        Self {
            steps: config.training.steps,
            log_every: config.training.log_every,
            layers: conv_layers + config.network.hidden.len() + 1,
            dense_hidden: (conv_layers == 0).then(|| config.network.hidden.clone()),
            replicas: config.replicas.count.max(1),
            pairs: config.data.dataset == DatasetKind::ModularAddition,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Number(f64),
    Symbol(&'static str),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Word(word) => write!(f, "\"{word}\""),
            Self::Number(number) => write!(f, "{number}"),
            Self::Symbol(symbol) => write!(f, "\"{symbol}\""),
        }
    }
}

const SYMBOLS: [&str; 10] = ["<=", ">=", "<", ">", "(", ")", "*", "/", "+", "-"];

fn tokens(text: &str) -> Result<Vec<Token>, CheckError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            // An exponent: 1e-5, 2E3.
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let sign = usize::from(chars.get(i + 1).is_some_and(|&s| s == '-' || s == '+'));
                if chars.get(i + 1 + sign).is_some_and(char::is_ascii_digit) {
                    i += 1 + sign;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let written: String = chars[start..i].iter().collect();
            let mut value: f64 = written.parse().map_err(|_| CheckError::Number(written.clone()))?;
            if chars.get(i) == Some(&'%') {
                value /= 100.0;
                i += 1;
            }
            out.push(Token::Number(value));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect::<String>().to_ascii_lowercase()));
        } else {
            let rest: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let symbol = SYMBOLS.iter().find(|s| rest.starts_with(**s)).ok_or(CheckError::Character(c))?;
            out.push(Token::Symbol(symbol));
            i += symbol.len();
        }
    }
    Ok(out)
}

/// A recursive-descent reader of one check's tokens.
struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    shape: &'a Shape,
    /// Quantities read so far.
    reads: usize,
    /// Each "at step N" written, with the number of quantities read before
    /// it: it gives them their step, unless an earlier one did.
    times: Vec<(usize, u64)>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn found(&self) -> String {
        self.peek().map_or("the end of the check".to_string(), ToString::to_string)
    }

    fn expected(&self, expected: &'static str) -> CheckError {
        CheckError::Expected { expected, found: self.found() }
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w == word)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let here = self.is_word(word);
        self.at += usize::from(here);
        here
    }

    fn word(&mut self, word: &'static str) -> Result<(), CheckError> {
        if self.eat_word(word) { Ok(()) } else { Err(self.expected(word)) }
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let here = matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol);
        self.at += usize::from(here);
        here
    }

    fn whole_number(&mut self, expected: &'static str) -> Result<u64, CheckError> {
        match self.peek() {
            Some(&Token::Number(n)) if n >= 0.0 && n.fract() == 0.0 && n <= 1e15 => {
                self.at += 1;
                Ok(n as u64)
            }
            _ => Err(self.expected(expected)),
        }
    }

    /// `step N` or `the end`, after `at`, `by` or `until`.
    fn step(&mut self) -> Result<u64, CheckError> {
        if self.eat_word("the") {
            self.word("end")?;
            return Ok(self.shape.steps);
        }
        self.word("step")?;
        let step = self.whole_number("a step number")?;
        if step > self.shape.steps {
            return Err(CheckError::AfterEnd { step, steps: self.shape.steps });
        }
        Ok(step)
    }

    /// `step N` or `the end` after `at`: a step with a probe.
    fn probe_step(&mut self) -> Result<u64, CheckError> {
        let step = self.step()?;
        if step != self.shape.steps && !step.is_multiple_of(self.shape.log_every) {
            return Err(CheckError::NotProbeStep { step, log_every: self.shape.log_every });
        }
        Ok(step)
    }

    fn claim(&mut self) -> Result<Claim, CheckError> {
        if self.eat_word("diverges") {
            let by = if self.eat_word("before") {
                self.word("step")?;
                if matches!(self.peek(), Some(Token::Number(n)) if *n == 0.0) {
                    return Err(self.expected("a step after 0 (step 1 is the first update)"));
                }
                let step = self.whole_number("a step number")?;
                if step > self.shape.steps + 1 {
                    return Err(CheckError::AfterEnd { step, steps: self.shape.steps });
                }
                step - 1
            } else if self.eat_word("by") {
                self.step()?
            } else {
                self.shape.steps
            };
            return Ok(Claim::Diverges { by });
        }
        if self.eat_word("does") {
            self.word("not")?;
            self.word("diverge")?;
            let through = if self.eat_word("by") { self.step()? } else { self.shape.steps };
            return Ok(Claim::Stable { through });
        }
        let mut left = self.expr()?;
        let comparison = match self.peek() {
            Some(Token::Symbol("<")) => Comparison::Less,
            Some(Token::Symbol("<=")) => Comparison::LessOrEqual,
            Some(Token::Symbol(">")) => Comparison::Greater,
            Some(Token::Symbol(">=")) => Comparison::GreaterOrEqual,
            _ => return Err(self.expected("a comparison (<, <=, > or >=)")),
        };
        self.at += 1;
        let mut right = self.expr()?;
        let span = if self.eat_word("by") {
            Some(Window::By(self.step()?))
        } else if self.eat_word("until") {
            Some(Window::Until(self.step()?))
        } else {
            None
        };
        let window = match (self.times.is_empty(), span) {
            (true, Some(span)) => span,
            (false, Some(_)) => return Err(CheckError::TwoTimes),
            (true, None) => return Err(CheckError::NoTime),
            (false, None) => {
                // Each quantity is read at the first step written after it,
                // or at the last one written: "a / b at step 0" reads both
                // at 0, "a at the end > b at step 0" each at its own.
                let mut index = 0;
                let times = &self.times;
                let time_of = |index: usize| times.iter().find(|&&(before, _)| index < before).unwrap_or(&times[times.len() - 1]).1;
                left.visit_reads(&mut |at| {
                    *at = Some(time_of(index));
                    index += 1;
                });
                right.visit_reads(&mut |at| {
                    *at = Some(time_of(index));
                    index += 1;
                });
                Window::At
            }
        };
        if !left.measures_something() && !right.measures_something() {
            return Err(CheckError::NothingMeasured);
        }
        Ok(Claim::Compare { left, comparison, right, window })
    }

    fn expr(&mut self) -> Result<Expr, CheckError> {
        let mut expr = self.term()?;
        loop {
            let operator = if self.eat_symbol("+") {
                Operator::Add
            } else if self.eat_symbol("-") {
                Operator::Subtract
            } else {
                return Ok(expr);
            };
            expr = Expr::Binary(operator, Box::new(expr), Box::new(self.term()?));
        }
    }

    fn term(&mut self) -> Result<Expr, CheckError> {
        let mut expr = self.factor()?;
        loop {
            let operator = if self.eat_symbol("*") {
                Operator::Multiply
            } else if self.eat_symbol("/") {
                Operator::Divide
            } else {
                return Ok(expr);
            };
            expr = Expr::Binary(operator, Box::new(expr), Box::new(self.factor()?));
        }
    }

    /// An atom, and the step it is read at if "at step N" or "at the end"
    /// follows.
    fn factor(&mut self) -> Result<Expr, CheckError> {
        let atom = self.atom()?;
        if self.eat_word("at") {
            let step = self.probe_step()?;
            self.times.push((self.reads, step));
        }
        Ok(atom)
    }

    fn atom(&mut self) -> Result<Expr, CheckError> {
        if self.eat_symbol("-") {
            return Ok(Expr::Negate(Box::new(self.factor()?)));
        }
        if self.eat_symbol("(") {
            let inner = self.expr()?;
            return if self.eat_symbol(")") { Ok(inner) } else { Err(self.expected("\")\"")) };
        }
        match self.peek().cloned() {
            Some(Token::Number(n)) => {
                self.at += 1;
                Ok(Expr::Number(n))
            }
            Some(Token::Word(word)) if word == "min" || word == "max" => {
                self.at += 1;
                let extreme = if word == "min" { Extreme::Min } else { Extreme::Max };
                if !self.eat_symbol("(") {
                    return Err(self.expected("\"(\" and a quantity"));
                }
                let quantity = self.quantity()?;
                if !self.eat_symbol(")") {
                    return Err(self.expected("\")\""));
                }
                self.reads += 1;
                Ok(Expr::Read { quantity, extreme: Some(extreme), at: None })
            }
            Some(Token::Word(_)) => {
                let quantity = self.quantity()?;
                self.reads += 1;
                Ok(Expr::Read { quantity, extreme: None, at: None })
            }
            _ => Err(self.expected("a number or a quantity")),
        }
    }

    /// `(k)`, `(last)` or `(all)` after a per-layer quantity's name, read as
    /// one of `count` layers counted from 1.
    fn layer(&mut self, name: &str, count: usize) -> Result<LayerArgument, CheckError> {
        if !self.eat_symbol("(") {
            return Err(CheckError::LayerWanted(name.to_string()));
        }
        let argument = if self.eat_word("last") {
            if count == 0 {
                return Err(CheckError::NoSuchLayer { quantity: name.to_string(), layer: "last".into(), count });
            }
            LayerArgument::One(count - 1)
        } else if self.eat_word("all") {
            LayerArgument::All
        } else {
            let layer = self.whole_number("a layer number, last or all")?;
            if layer == 0 || layer as usize > count {
                return Err(CheckError::NoSuchLayer { quantity: name.to_string(), layer: layer.to_string(), count });
            }
            LayerArgument::One(layer as usize - 1)
        };
        if !self.eat_symbol(")") {
            return Err(self.expected("\")\""));
        }
        Ok(argument)
    }

    fn quantity(&mut self) -> Result<Quantity, CheckError> {
        let Some(Token::Word(name)) = self.peek().cloned() else { return Err(self.expected("a quantity")) };
        self.at += 1;
        let whole_run = |quantity: Quantity, parser: &Self| {
            if matches!(parser.peek(), Some(Token::Symbol("("))) { Err(CheckError::NoLayerWanted(name.clone())) } else { Ok(quantity) }
        };
        let replicas = |quantity: MeasureQuantity, parser: &Self| {
            if parser.shape.replicas < 2 {
                return Err(CheckError::NeedsReplicas(name.clone()));
            }
            whole_run(Quantity::Measure(quantity), parser)
        };
        let stat = match name.as_str() {
            "train_loss" => return whole_run(Quantity::Record(RecordQuantity::TrainLoss), self),
            "test_loss" => return whole_run(Quantity::Record(RecordQuantity::TestLoss), self),
            "train_acc" => return whole_run(Quantity::Record(RecordQuantity::TrainAcc), self),
            "test_acc" => return whole_run(Quantity::Record(RecordQuantity::TestAcc), self),
            "agreement" => return replicas(MeasureQuantity::Agreement, self),
            "agreement_chance" => return replicas(MeasureQuantity::AgreementChance, self),
            "far_agreement" => return replicas(MeasureQuantity::FarAgreement, self),
            "far_agreement_chance" => return replicas(MeasureQuantity::FarAgreementChance, self),
            "cosine" => return replicas(MeasureQuantity::Cosine, self),
            "cosine_chance" => return replicas(MeasureQuantity::CosineChance, self),
            "matched_cosine" => return replicas(MeasureQuantity::MatchedCosine, self),
            "matched_cosine_chance" => return replicas(MeasureQuantity::MatchedCosineChance, self),
            "mean_test_acc" => return replicas(MeasureQuantity::MeanTestAcc, self),
            "wave_share" => {
                if !self.shape.pairs {
                    return Err(CheckError::NeedsPairs(name.clone()));
                }
                return whole_run(Quantity::WaveShare, self);
            }
            "cka" | "cka_chance" => {
                if self.shape.replicas < 2 {
                    return Err(CheckError::NeedsReplicas(name.clone()));
                }
                let LayerArgument::One(layer) = self.layer(&name, self.shape.layers)? else { return Err(CheckError::NoAll(name)) };
                let quantity = if name == "cka" { MeasureQuantity::Cka(layer) } else { MeasureQuantity::CkaChance(layer) };
                return Ok(Quantity::Measure(quantity));
            }
            "within_layer" => {
                let LayerArgument::One(layer) = self.layer(&name, self.shape.layers - 1)? else { return Err(CheckError::NoAll(name)) };
                return Ok(Quantity::Measure(MeasureQuantity::WithinLayer(layer)));
            }
            "grad_norm" => LayerStat::GradNorm,
            "weight_norm" => LayerStat::WeightNorm,
            "update_ratio" => LayerStat::UpdateRatio,
            "act_mean" => LayerStat::ActMean,
            "act_std" => LayerStat::ActStd,
            "dead_frac" => LayerStat::DeadFrac,
            "sat_frac" => LayerStat::SatFrac,
            _ => return Err(CheckError::UnknownQuantity(name)),
        };
        let layers = match self.layer(&name, self.shape.layers)? {
            LayerArgument::One(layer) => Layers::One(layer),
            LayerArgument::All => match (&self.shape.dense_hidden, stat) {
                (Some(widths), LayerStat::DeadFrac | LayerStat::SatFrac) if !widths.is_empty() => Layers::Hidden(widths.clone()),
                _ => return Err(CheckError::NoAll(name)),
            },
        };
        Ok(Quantity::Record(RecordQuantity::Layer(stat, layers)))
    }
}

enum LayerArgument {
    One(usize),
    All,
}

impl Expr {
    /// Visits the step of every quantity read, left to right.
    fn visit_reads(&mut self, visit: &mut impl FnMut(&mut Option<u64>)) {
        match self {
            Self::Number(_) => {}
            Self::Read { at, .. } => visit(at),
            Self::Negate(inner) => inner.visit_reads(visit),
            Self::Binary(_, a, b) => {
                a.visit_reads(visit);
                b.visit_reads(visit);
            }
        }
    }

    fn reads(&self) -> Vec<(&Quantity, Option<u64>)> {
        match self {
            Self::Number(_) => Vec::new(),
            Self::Read { quantity, at, .. } => vec![(quantity, *at)],
            Self::Negate(inner) => inner.reads(),
            Self::Binary(_, a, b) => [a.reads(), b.reads()].concat(),
        }
    }

    fn measures_something(&self) -> bool {
        !self.reads().is_empty()
    }

    fn uses_measures(&self) -> bool {
        self.reads().iter().any(|(q, _)| matches!(q, Quantity::Measure(_)))
    }

    /// The latest step any of its quantities is read at.
    fn latest_step(&self) -> u64 {
        self.reads().iter().filter_map(|&(_, at)| at).max().unwrap_or(0)
    }
}

impl Check {
    /// Parses one check, with an optional `on K of N seeds` at its end
    /// (else `seeds`, the step's share), against the step's config.
    pub fn parse(text: &str, seeds: SeedShare, config: &Config) -> Result<Self, CheckError> {
        let mut all = tokens(text)?;
        let mut seeds = seeds;
        let n = all.len();
        if n >= 5
            && let [Token::Word(on), Token::Number(passes), Token::Word(of), Token::Number(out_of), Token::Word(unit)] = &all[n - 5..]
            && on == "on"
            && of == "of"
            && unit == "seeds"
        {
            seeds = SeedShare::parse(&format!("{passes} of {out_of}"))?;
            all.truncate(n - 5);
        }
        let shape = Shape::of(config);
        let mut parser = Parser { tokens: &all, at: 0, shape: &shape, reads: 0, times: Vec::new() };
        let claim = parser.claim()?;
        if parser.at < all.len() {
            return Err(parser.expected("the end of the check (or \"on K of N seeds\")"));
        }
        Ok(Self { text: text.trim().to_string(), seeds, claim })
    }

    /// The steps a run must train to decide this check.
    pub fn horizon(&self) -> u64 {
        match &self.claim {
            Claim::Diverges { by } => *by,
            Claim::Stable { through } => *through,
            Claim::Compare { left, right, window: Window::At, .. } => left.latest_step().max(right.latest_step()),
            Claim::Compare { window: Window::By(step) | Window::Until(step), .. } => *step,
        }
    }

    /// Whether it reads homogeneity measures (which a run of one network
    /// takes only when asked).
    pub fn uses_measures(&self) -> bool {
        match &self.claim {
            Claim::Compare { left, right, .. } => left.uses_measures() || right.uses_measures(),
            _ => false,
        }
    }

    /// Judges the check on what a run has shown so far.
    pub fn judge(&self, evidence: &Evidence) -> Outcome {
        match &self.claim {
            Claim::Diverges { by } => match evidence.diverged {
                Some(d) if d.step <= *by => Outcome::passed(format!("diverged at step {}", d.step)),
                Some(d) => Outcome::failed(format!("diverged only at step {}", d.step)),
                None if evidence.step >= *by => Outcome::failed(format!("no divergence through step {by}")),
                None => Outcome::pending(),
            },
            Claim::Stable { through } => match evidence.diverged {
                Some(d) if d.step <= *through => Outcome::failed(format!("diverged at step {}", d.step)),
                Some(_) => Outcome::passed(format!("no divergence through step {through}")),
                None if evidence.step >= *through => Outcome::passed(format!("no divergence through step {through}")),
                None => Outcome::pending(),
            },
            Claim::Compare { left, comparison, right, window } => judge_comparison(left, *comparison, right, *window, evidence),
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What a run has shown so far.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// Steps trained.
    pub step: u64,
    /// The main network's probe records, oldest first.
    pub records: &'a [ProbeRecord],
    /// Homogeneity measurements, oldest first, at any steps.
    pub measures: &'a [HomogeneitySummary],
    /// The main network's divergence: no step follows it.
    pub diverged: Option<&'a Divergence>,
    /// Modular addition: the Fourier measures at the probes, oldest first
    /// (empty for other data).
    pub waves: &'a [FourierRecord],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed,
    /// The run has not reached the step the check needs.
    Pending,
}

/// A verdict and what it rests on ("0.43 at step 100").
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub verdict: Verdict,
    pub note: String,
}

impl Outcome {
    fn passed(note: String) -> Self {
        Self { verdict: Verdict::Passed, note }
    }
    fn failed(note: String) -> Self {
        Self { verdict: Verdict::Failed, note }
    }
    pub fn pending() -> Self {
        Self { verdict: Verdict::Pending, note: String::new() }
    }
}

/// A value read from the evidence, or why there is none.
enum Lookup {
    Value(f64),
    /// The run has not reached the step yet.
    NotYet,
    /// It can never be read there (a regression's accuracy, a non-finite
    /// value).
    Missing(String),
}

fn number(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 || (0.01..10_000.0).contains(&magnitude) {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{value:.2e}")
    }
}

impl RecordQuantity {
    fn name(&self) -> &'static str {
        match self {
            Self::TrainLoss => "train_loss",
            Self::TestLoss => "test_loss",
            Self::TrainAcc => "train_acc",
            Self::TestAcc => "test_acc",
            Self::Layer(LayerStat::GradNorm, _) => "grad_norm",
            Self::Layer(LayerStat::WeightNorm, _) => "weight_norm",
            Self::Layer(LayerStat::UpdateRatio, _) => "update_ratio",
            Self::Layer(LayerStat::ActMean, _) => "act_mean",
            Self::Layer(LayerStat::ActStd, _) => "act_std",
            Self::Layer(LayerStat::DeadFrac, _) => "dead_frac",
            Self::Layer(LayerStat::SatFrac, _) => "sat_frac",
        }
    }

    fn of(&self, record: &ProbeRecord) -> Option<f64> {
        let stat = |stat: LayerStat, layer: usize| {
            record.layers.get(layer).map(|s| match stat {
                LayerStat::GradNorm => s.grad_norm,
                LayerStat::WeightNorm => s.weight_norm,
                LayerStat::UpdateRatio => s.update_ratio,
                LayerStat::ActMean => s.act_mean,
                LayerStat::ActStd => s.act_std,
                LayerStat::DeadFrac => s.dead_frac,
                LayerStat::SatFrac => s.sat_frac,
            })
        };
        match self {
            Self::TrainLoss => Some(record.train_loss),
            Self::TestLoss => Some(record.test_loss),
            Self::TrainAcc => record.train_acc,
            Self::TestAcc => record.test_acc,
            Self::Layer(which, Layers::One(layer)) => stat(*which, *layer),
            Self::Layer(which, Layers::Hidden(widths)) => {
                let mut weighted = 0.0;
                for (layer, &width) in widths.iter().enumerate() {
                    weighted += stat(*which, layer)? * width as f64;
                }
                Some(weighted / widths.iter().sum::<usize>() as f64)
            }
        }
    }
}

impl MeasureQuantity {
    fn name(self) -> &'static str {
        match self {
            Self::Agreement => "agreement",
            Self::AgreementChance => "agreement_chance",
            Self::FarAgreement => "far_agreement",
            Self::FarAgreementChance => "far_agreement_chance",
            Self::Cka(_) => "cka",
            Self::CkaChance(_) => "cka_chance",
            Self::Cosine => "cosine",
            Self::CosineChance => "cosine_chance",
            Self::MatchedCosine => "matched_cosine",
            Self::MatchedCosineChance => "matched_cosine_chance",
            Self::WithinLayer(_) => "within_layer",
            Self::MeanTestAcc => "mean_test_acc",
        }
    }

    fn of(self, summary: &HomogeneitySummary) -> Option<f64> {
        match self {
            Self::Agreement => summary.agreement,
            Self::AgreementChance => summary.agreement_chance,
            Self::FarAgreement => summary.ood_agreement,
            Self::FarAgreementChance => summary.ood_agreement_chance,
            Self::Cka(layer) => summary.cka.get(layer).copied().flatten(),
            Self::CkaChance(layer) => summary.cka_chance.get(layer).copied().flatten(),
            Self::Cosine => summary.weight_cosine,
            Self::CosineChance => summary.weight_cosine_chance,
            Self::MatchedCosine => summary.weight_cosine_matched,
            Self::MatchedCosineChance => summary.weight_cosine_matched_chance,
            Self::WithinLayer(layer) => summary.within_layer.get(layer).copied().flatten(),
            Self::MeanTestAcc => summary.mean_test_accuracy,
        }
    }
}

/// The first entry at or after `step` (records and measures are in step
/// order): the probe at that step, or in the app, whose measures come when
/// time allows, the first one after it.
fn first_from<T>(entries: &[T], step: u64, step_of: impl Fn(&T) -> u64) -> Option<usize> {
    let index = entries.partition_point(|e| step_of(e) < step);
    (index < entries.len()).then_some(index)
}

fn read<T>(
    entries: &[T],
    step: u64,
    step_of: impl Fn(&T) -> u64,
    value_of: impl Fn(&T) -> Option<f64>,
    name: &str,
    extreme: Option<Extreme>,
) -> Lookup {
    let Some(index) = first_from(entries, step, &step_of) else { return Lookup::NotYet };
    let values = match extreme {
        None => vec![value_of(&entries[index])],
        Some(_) => entries[..=index].iter().map(&value_of).collect(),
    };
    let finite: Vec<f64> = values.iter().flatten().copied().filter(|v| v.is_finite()).collect();
    let at = step_of(&entries[index]);
    match extreme {
        None => match values[0] {
            Some(v) if v.is_finite() => Lookup::Value(v),
            Some(_) => Lookup::Missing(format!("{name} is not a finite number at step {at}")),
            None => Lookup::Missing(format!("{name} is not measured at step {at}")),
        },
        Some(_) if finite.is_empty() => Lookup::Missing(format!("{name} was never measured by step {at}")),
        Some(Extreme::Min) => Lookup::Value(finite.iter().copied().fold(f64::INFINITY, f64::min)),
        Some(Extreme::Max) => Lookup::Value(finite.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
    }
}

fn read_quantity(quantity: &Quantity, extreme: Option<Extreme>, step: u64, evidence: &Evidence) -> Lookup {
    match quantity {
        Quantity::Record(q) => read(evidence.records, step, |r| r.step, |r| q.of(r), q.name(), extreme),
        Quantity::Measure(q) => read(evidence.measures, step, |m| m.step, |m| q.of(m), q.name(), extreme),
        Quantity::WaveShare => read(evidence.waves, step, |w| w.step, |w| Some(w.median_share), "wave_share", extreme),
    }
}

fn evaluate(expr: &Expr, step: u64, evidence: &Evidence) -> Lookup {
    match expr {
        Expr::Number(n) => Lookup::Value(*n),
        Expr::Read { quantity, extreme, at } => read_quantity(quantity, *extreme, at.unwrap_or(step), evidence),
        Expr::Negate(inner) => match evaluate(inner, step, evidence) {
            Lookup::Value(v) => Lookup::Value(-v),
            other => other,
        },
        Expr::Binary(op, a, b) => match (evaluate(a, step, evidence), evaluate(b, step, evidence)) {
            (Lookup::Missing(why), _) | (_, Lookup::Missing(why)) => Lookup::Missing(why),
            (Lookup::NotYet, _) | (_, Lookup::NotYet) => Lookup::NotYet,
            (Lookup::Value(a), Lookup::Value(b)) => {
                let (value, symbol) = match op {
                    Operator::Add => (a + b, "+"),
                    Operator::Subtract => (a - b, "-"),
                    Operator::Multiply => (a * b, "*"),
                    Operator::Divide => (a / b, "/"),
                };
                if value.is_nan() {
                    Lookup::Missing(format!("{} {symbol} {} is not a number", number(a), number(b)))
                } else {
                    Lookup::Value(value)
                }
            }
        },
    }
}

/// Both sides at their steps: `Some(Ok((left, right)))` when both are
/// known, `Some(Err(why))` when one can never be, `None` when the run has
/// not got there.
fn sides(left: &Expr, right: &Expr, step: u64, evidence: &Evidence) -> Option<Result<(f64, f64), String>> {
    match (evaluate(left, step, evidence), evaluate(right, step, evidence)) {
        (Lookup::Missing(why), _) | (_, Lookup::Missing(why)) => Some(Err(why)),
        (Lookup::NotYet, _) | (_, Lookup::NotYet) => None,
        (Lookup::Value(l), Lookup::Value(r)) => Some(Ok((l, r))),
    }
}

fn describe(left: f64, right: f64, right_expr: &Expr, step: u64) -> String {
    match right_expr {
        Expr::Number(_) => format!("{} at step {step}", number(left)),
        _ => format!("{} against {} at step {step}", number(left), number(right)),
    }
}

fn judge_comparison(left: &Expr, comparison: Comparison, right: &Expr, window: Window, evidence: &Evidence) -> Outcome {
    let stopped = |step: u64| evidence.diverged.map(|d| format!("the run diverged at step {} before step {step}", d.step));
    // The probes a window walks: the measures' steps if it reads any
    // measure, else the records'.
    let steps: Vec<u64> = if left.uses_measures() || right.uses_measures() {
        evidence.measures.iter().map(|m| m.step).collect()
    } else {
        evidence.records.iter().map(|r| r.step).collect()
    };
    let reached = |step: u64| steps.last().is_some_and(|&last| last >= step);
    match window {
        Window::At => {
            let mut steps: Vec<u64> = left.reads().iter().chain(&right.reads()).filter_map(|&(_, at)| at).collect();
            steps.sort_unstable();
            steps.dedup();
            let latest = steps.iter().copied().max().unwrap_or(0);
            match sides(left, right, latest, evidence) {
                Some(Ok((l, r))) => {
                    let note = match steps.len() {
                        1 => describe(l, r, right, latest),
                        _ => format!("{} against {}", number(l), number(r)),
                    };
                    if comparison.holds(l, r) { Outcome::passed(note) } else { Outcome::failed(note) }
                }
                Some(Err(why)) => Outcome::failed(why),
                None => match stopped(latest) {
                    Some(why) => Outcome::failed(why),
                    None => Outcome::pending(),
                },
            }
        }
        Window::By(end) => {
            let mut last = None;
            for &step in steps.iter().take_while(|&&s| s <= end) {
                if let Some(Ok((l, r))) = sides(left, right, step, evidence) {
                    if comparison.holds(l, r) {
                        return Outcome::passed(describe(l, r, right, step));
                    }
                    last = Some(describe(l, r, right, step));
                }
            }
            if reached(end) || evidence.diverged.is_some() {
                let last = last.map(|l| format!(" ({l})")).unwrap_or_default();
                let stop = stopped(end).map(|s| format!("; {s}")).unwrap_or_default();
                Outcome::failed(format!("not by step {end}{last}{stop}"))
            } else {
                Outcome::pending()
            }
        }
        Window::Until(end) => {
            for &step in steps.iter().take_while(|&&s| s <= end) {
                match sides(left, right, step, evidence) {
                    Some(Ok((l, r))) if !comparison.holds(l, r) => return Outcome::failed(describe(l, r, right, step)),
                    Some(Err(why)) => return Outcome::failed(why),
                    _ => {}
                }
            }
            if reached(end) {
                Outcome::passed(format!("held through step {end}"))
            } else {
                match stopped(end) {
                    Some(why) => Outcome::failed(why),
                    None => Outcome::pending(),
                }
            }
        }
    }
}

/// A lesson step's checks judged live against the app's running session:
/// a tick or a cross for each check as the run passes the step it needs.
///
/// Make one when a step is entered ([`super::LessonStep::live_checks`]),
/// call [`LiveChecks::update`] with each new [`SessionView`], and read
/// [`LiveChecks::results`]. A decided check stays decided for its run
/// (later thinning of the history cannot undo it); a new run (a reset, a
/// new seed: the view's generation changes) starts every check over.
/// While the session runs other settings than the step's (apart from the
/// seed: "Next seed" is the point), or its training settings were changed
/// in place, the checks do not apply and `update` returns false.
#[derive(Debug, Clone)]
pub struct LiveChecks {
    checks: Vec<Check>,
    config: Config,
    generation: Option<u64>,
    outcomes: Vec<Outcome>,
    /// Every measurement seen in this run, in step order: a run of one
    /// network keeps no history of them, only its latest.
    measures: Vec<HomogeneitySummary>,
}

impl LiveChecks {
    pub fn new(checks: &[Check], config: &Config) -> Self {
        Self {
            checks: checks.to_vec(),
            config: config.clone(),
            generation: None,
            outcomes: vec![Outcome::pending(); checks.len()],
            measures: Vec::new(),
        }
    }

    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// Whether the session runs this step's settings (any seed).
    pub fn applies_to(&self, view: &SessionView) -> bool {
        let mut running = view.config.clone();
        running.seed = self.config.seed;
        running == self.config && !view.changed_in_place
    }

    /// The outcome of each check (in the checks' order) as of the last
    /// [`LiveChecks::update`] that applied.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// Each check with its outcome.
    pub fn results(&self) -> impl Iterator<Item = (&Check, &Outcome)> {
        self.checks.iter().zip(&self.outcomes)
    }

    /// Judges every undecided check on the view. Returns whether the checks
    /// apply to the running session at all (its settings are the step's).
    pub fn update(&mut self, view: &SessionView) -> bool {
        if !self.applies_to(view) {
            return false;
        }
        if self.generation != Some(view.generation) {
            self.generation = Some(view.generation);
            self.outcomes.iter_mut().for_each(|o| *o = Outcome::pending());
            self.measures.clear();
        }
        let latest = view.homogeneity.as_ref().map(|report| report.summary());
        for summary in view.homogeneity_history.iter().chain(latest.as_ref()) {
            self.remember(summary);
        }
        let evidence = Evidence {
            step: view.step,
            records: view.parts.history.records(),
            measures: &self.measures,
            diverged: view.diverged.as_ref(),
            waves: &view.parts.fourier,
        };
        for (check, outcome) in self.checks.iter().zip(&mut self.outcomes) {
            if outcome.verdict == Verdict::Pending {
                *outcome = check.judge(&evidence);
            }
        }
        true
    }

    fn remember(&mut self, summary: &HomogeneitySummary) {
        if let Err(index) = self.measures.binary_search_by_key(&summary.step, |m| m.step) {
            self.measures.insert(index, summary.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigSource, load_config};
    use crate::train::{LayerStats, NonFinite};

    fn preset(name: &str) -> Config {
        load_config(&ConfigSource::Preset(name.into()), &[]).unwrap()
    }

    /// The playground network: three weight layers, 3000 steps, a probe
    /// every 25.
    fn check(text: &str) -> Check {
        Check::parse(text, SeedShare::DEFAULT, &preset("playground")).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn problem(text: &str, config: &Config) -> String {
        Check::parse(text, SeedShare::DEFAULT, config).unwrap_err().to_string()
    }

    fn record(step: u64, test_acc: f64, layer: LayerStats) -> ProbeRecord {
        ProbeRecord {
            step,
            train_loss: 1.0 / (1.0 + step as f64),
            test_loss: 0.5,
            train_acc: Some(1.0),
            test_acc: Some(test_acc),
            layers: vec![layer; 3],
        }
    }

    fn judge(check: &Check, records: &[ProbeRecord], diverged: Option<&Divergence>) -> Outcome {
        let step = records.last().map_or(0, |r| r.step);
        check.judge(&Evidence { step, records, measures: &[], diverged, waves: &[] })
    }

    #[test]
    fn seed_shares_scale_down_to_fewer_seeds() {
        let share = SeedShare::parse("8 of 10").unwrap();
        assert_eq!((share.required(10), share.required(2), share.required(3), share.required(20), share.required(0)), (8, 1, 2, 16, 0));
        assert_eq!(SeedShare::parse("10 of 10").unwrap().required(2), 2);
        assert_eq!(SeedShare::parse("1 of 10").unwrap().required(2), 1, "at least one seed");
        for bad in ["8 out of 10", "0 of 10", "11 of 10", "8 of", "eight of ten", "8 of 10 seeds"] {
            assert!(SeedShare::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn checks_read_like_the_lessons_write_them() {
        assert_eq!(check("test_acc >= 0.95 by step 300").horizon(), 300);
        assert_eq!(check("dead_frac(2) at step 100 > 0.5").horizon(), 100);
        assert_eq!(check("grad_norm(1) / grad_norm(last) at step 0 < 1e-5").horizon(), 0);
        assert_eq!(check("diverges before step 10").horizon(), 9);
        assert_eq!(check("does not diverge").horizon(), 3000);
        assert_eq!(check("test_acc >= 95% until the end").horizon(), 3000);
        assert_eq!(check("train_loss at the end < 0.5 * train_loss at step 0").horizon(), 3000);
        assert_eq!(check("max(test_acc) - test_acc at step 2000 > -(0.1 + 0.2)").horizon(), 2000);
        let share = check("test_acc >= 0.9 by step 300 on 3 of 10 seeds");
        assert_eq!(share.seeds, SeedShare { passes: 3, of: 10 });
        assert_eq!(share.text, "test_acc >= 0.9 by step 300 on 3 of 10 seeds");
        assert_eq!(check("TEST_ACC >= .5 By Step 300").horizon(), 300);
        assert!(!check("test_acc >= 0.9 by step 300").uses_measures());
        let replicas = preset("homogenisation");
        let agreement = Check::parse("agreement > agreement_chance at the end", SeedShare::DEFAULT, &replicas).unwrap();
        assert!(agreement.uses_measures());
        assert_eq!(agreement.horizon(), 3000);
    }

    #[test]
    fn malformed_checks_say_what_is_wrong() {
        let playground = preset("playground");
        let cases = [
            ("test_ac >= 0.9 by step 300", "unknown quantity \"test_ac\""),
            ("dead_frac(4) at step 100 > 0.5", "dead_frac(4): this network has 3 such layers"),
            ("dead_frac(0) at step 100 > 0.5", "this network has 3"),
            ("dead_frac at step 100 > 0.5", "dead_frac needs a layer"),
            ("test_acc(1) at step 100 > 0.5", "without a layer"),
            ("grad_norm(all) at step 0 > 1", "only for dead_frac and sat_frac"),
            ("test_acc at step 110 > 0.5", "step 110 is not a probe step: this step probes every 25 steps"),
            ("test_acc >= 0.9 by step 5000", "after the end of training (training.steps = 3000)"),
            ("test_acc >= 0.9", "say when"),
            ("test_acc at step 100 >= 0.9 by step 300", "not both"),
            ("0.5 < 0.9 at step 0", "compares two numbers"),
            ("test_acc = 0.9 at step 0", "unexpected character '='"),
            ("test_acc at step 0 0.9", "expected a comparison"),
            ("test_acc > 0.9 at step 0 and more", "expected the end of the check"),
            ("test_acc > 0.9 at step 0 on 11 of 10 seeds", "not a share of seeds"),
            ("agreement > 0.9 at the end", "compares replicas"),
            ("diverges before step 0", "expected a step after 0"),
            ("does not diverge by step", "expected a step number"),
            ("max(test_acc at step 0 > 1", "expected \")\""),
        ];
        for (text, expected) in cases {
            let message = problem(text, &playground);
            assert!(message.contains(expected), "{text}: {message}");
        }
        let mut no_hidden = playground.clone();
        no_hidden.network.hidden = Vec::new();
        let message = problem("within_layer(last) at step 0 > 0.5", &no_hidden);
        assert!(message.contains("within_layer(last): this network has 0 such layers"), "{message}");
    }

    #[test]
    fn a_threshold_by_a_step_waits_passes_or_fails() {
        let check = check("test_acc >= 0.95 by step 300");
        let rising: Vec<ProbeRecord> = (0..=12).map(|i| record(i * 25, 0.5 + 0.04 * i as f64, LayerStats::default())).collect();
        // 0.5 + 0.04 i first reaches 0.95 at i = 12: step 300.
        assert_eq!(judge(&check, &rising[..8], None).verdict, Verdict::Pending);
        let passed = judge(&check, &rising, None);
        assert_eq!(passed.verdict, Verdict::Passed, "{passed:?}");
        assert!(passed.note.contains("step 300"), "{}", passed.note);
        let flat: Vec<ProbeRecord> = (0..=12).map(|i| record(i * 25, 0.6, LayerStats::default())).collect();
        let failed = judge(&check, &flat, None);
        assert_eq!(failed.verdict, Verdict::Failed);
        assert!(failed.note.contains("not by step 300"), "{}", failed.note);
        // A run that stopped cannot get there any more.
        let divergence = Divergence { step: 101, layer: Some(1), what: NonFinite::Weight };
        assert_eq!(judge(&check, &flat[..5], Some(&divergence)).verdict, Verdict::Failed);
    }

    #[test]
    fn comparisons_at_a_step_read_that_probe() {
        let dead = |fraction| LayerStats { dead_frac: fraction, grad_norm: 1.0, ..LayerStats::default() };
        let records: Vec<ProbeRecord> = (0..=8).map(|i| record(i * 25, 0.5, dead(i as f64 / 10.0))).collect();
        let check = check("dead_frac(2) at step 100 > 0.35");
        assert_eq!(judge(&check, &records[..4], None).verdict, Verdict::Pending);
        assert_eq!(judge(&check, &records, None), Outcome { verdict: Verdict::Passed, note: "0.4 at step 100".into() });
        let stricter = super::tests::check("dead_frac(2) at step 100 > 0.45");
        assert_eq!(judge(&stricter, &records, None).verdict, Verdict::Failed);
        let divergence = Divergence { step: 80, layer: None, what: NonFinite::Loss };
        assert_eq!(judge(&stricter, &records[..4], Some(&divergence)).verdict, Verdict::Failed);
        // Each quantity at its own step.
        let falling = super::tests::check("train_loss at the end < 0.5 * train_loss at step 100");
        let mut long: Vec<ProbeRecord> = (0..=120).map(|i| record(i * 25, 0.5, dead(0.0))).collect();
        assert_eq!(judge(&falling, &long[..100], None).verdict, Verdict::Pending);
        assert_eq!(judge(&falling, &long, None).verdict, Verdict::Passed);
        long.iter_mut().for_each(|r| r.train_loss = 1.0);
        assert_eq!(judge(&falling, &long, None).verdict, Verdict::Failed);
        let ratio = super::tests::check("grad_norm(1) / grad_norm(last) at step 0 < 1e-5");
        let mut start = record(0, 0.5, dead(0.0));
        start.layers[0].grad_norm = 1e-7;
        assert_eq!(judge(&ratio, &[start.clone()], None).verdict, Verdict::Passed);
        start.layers[0].grad_norm = 0.0;
        start.layers[2].grad_norm = 0.0;
        let undefined = judge(&ratio, &[start], None);
        assert_eq!(undefined.verdict, Verdict::Failed, "0/0 proves nothing");
        assert!(undefined.note.contains("not a number"), "{}", undefined.note);
    }

    #[test]
    fn until_fails_at_the_first_probe_that_breaks_it() {
        let check = check("test_acc < 0.7 until step 200");
        let mut records: Vec<ProbeRecord> = (0..=4).map(|i| record(i * 25, 0.5, LayerStats::default())).collect();
        assert_eq!(judge(&check, &records, None).verdict, Verdict::Pending);
        records.push(record(125, 0.8, LayerStats::default()));
        let failed = judge(&check, &records, None);
        assert_eq!(failed, Outcome { verdict: Verdict::Failed, note: "0.8 at step 125".into() });
        let steady: Vec<ProbeRecord> = (0..=10).map(|i| record(i * 25, 0.5, LayerStats::default())).collect();
        assert_eq!(judge(&check, &steady, None).verdict, Verdict::Passed);
    }

    #[test]
    fn lowest_and_highest_are_over_the_probes_so_far() {
        let records: Vec<ProbeRecord> =
            [0.5, 0.9, 0.6, 0.55].iter().enumerate().map(|(i, &a)| record(i as u64 * 25, a, LayerStats::default())).collect();
        let peak = check("max(test_acc) - test_acc at step 75 > 0.3");
        assert_eq!(judge(&peak, &records, None).verdict, Verdict::Passed);
        let early = check("max(test_acc) at step 25 > 0.95");
        assert_eq!(judge(&early, &records, None), Outcome { verdict: Verdict::Failed, note: "0.9 at step 25".into() });
        assert_eq!(judge(&check("min(test_acc) at step 75 >= 0.5"), &records, None).verdict, Verdict::Passed);
    }

    #[test]
    fn a_quantity_that_is_never_measured_fails() {
        let mut records = vec![record(0, 0.5, LayerStats::default())];
        records[0].test_acc = None;
        let outcome = judge(&check("test_acc at step 0 > 0.1"), &records, None);
        assert_eq!(outcome.verdict, Verdict::Failed);
        assert!(outcome.note.contains("test_acc is not measured"), "{}", outcome.note);
        records[0].test_acc = Some(f64::NAN);
        assert_eq!(judge(&check("test_acc at step 0 > 0.1"), &records, None).verdict, Verdict::Failed);
    }

    #[test]
    fn divergence_claims_wait_for_their_step() {
        let diverges = check("diverges before step 10");
        let at = |step| Evidence { step, records: &[], measures: &[], diverged: None, waves: &[] };
        assert_eq!(diverges.judge(&at(5)).verdict, Verdict::Pending);
        assert_eq!(diverges.judge(&at(9)).verdict, Verdict::Failed);
        let early = Divergence { step: 4, layer: Some(3), what: NonFinite::Activation };
        let late = Divergence { step: 10, layer: Some(3), what: NonFinite::Activation };
        fn with(d: &Divergence) -> Evidence<'_> {
            Evidence { step: d.step - 1, records: &[], measures: &[], diverged: Some(d), waves: &[] }
        }
        assert_eq!(diverges.judge(&with(&early)).verdict, Verdict::Passed);
        assert_eq!(diverges.judge(&with(&late)).verdict, Verdict::Failed);
        let stable = check("does not diverge by step 100");
        assert_eq!(stable.judge(&at(99)).verdict, Verdict::Pending);
        assert_eq!(stable.judge(&at(100)).verdict, Verdict::Passed);
        assert_eq!(stable.judge(&with(&early)).verdict, Verdict::Failed);
    }

    fn summary(step: u64, agreement: f64) -> HomogeneitySummary {
        HomogeneitySummary {
            step,
            agreement: Some(agreement),
            agreement_chance: Some(0.34),
            ood_agreement: None,
            ood_agreement_chance: None,
            cka: vec![Some(0.9), Some(0.6), Some(0.5)],
            cka_chance: vec![Some(0.01); 3],
            weight_cosine: Some(0.0),
            weight_cosine_matched: Some(0.40),
            weight_cosine_chance: Some(0.0),
            weight_cosine_matched_chance: Some(0.45),
            within_layer: vec![Some(0.1), Some(0.2)],
            mean_test_accuracy: Some(0.9),
        }
    }

    #[test]
    fn wave_share_reads_the_waves_of_modular_addition_only() {
        assert!(problem("wave_share at step 0 < 0.5", &preset("playground")).contains("modular-addition"));
        let config = preset("grokking");
        let check = Check::parse("wave_share at step 100 > 0.5", SeedShare::DEFAULT, &config).unwrap();
        let mut run = crate::run::Run::new(config).unwrap();
        run.run(100);
        let waves = run.fourier();
        let measured = waves.iter().find(|w| w.step == 100).map(|w| w.median_share).unwrap();
        let evidence = Evidence { step: 100, records: run.main().history().records(), measures: &[], diverged: None, waves };
        let outcome = check.judge(&evidence);
        // Random weights after 100 steps are far from single waves.
        assert_eq!(outcome.verdict, Verdict::Failed, "{}", outcome.note);
        assert_eq!(outcome.note, format!("{} at step 100", number(measured)));
        let pending = Evidence { step: 50, records: &[], measures: &[], diverged: None, waves: &waves[..2] };
        assert_eq!(check.judge(&pending).verdict, Verdict::Pending);
    }

    #[test]
    fn measures_are_read_at_the_first_measurement_from_the_step() {
        let config = preset("homogenisation");
        let parse = |text: &str| Check::parse(text, SeedShare::DEFAULT, &config).unwrap();
        let above = parse("agreement > 2 * agreement_chance at step 1000");
        let evidence =
            |measures: &[HomogeneitySummary]| above.judge(&Evidence { step: 1100, records: &[], measures, diverged: None, waves: &[] });
        assert_eq!(evidence(&[summary(0, 0.3), summary(950, 0.8)]).verdict, Verdict::Pending);
        // The app measures when time allows: step 1013 stands for 1000.
        assert_eq!(evidence(&[summary(0, 0.3), summary(1013, 0.8)]).verdict, Verdict::Passed);
        assert_eq!(evidence(&[summary(0, 0.3), summary(1013, 0.6)]).verdict, Verdict::Failed);
        let below = parse("matched_cosine < matched_cosine_chance at the end");
        let end = Evidence { step: 3000, records: &[], measures: &[summary(3000, 0.9)], diverged: None, waves: &[] };
        assert_eq!(below.judge(&end).verdict, Verdict::Passed);
        let depth = parse("cka(1) > cka(3) + 0.3 by the end");
        assert_eq!(depth.judge(&end).verdict, Verdict::Passed);
        let within = Check::parse("within_layer(2) < 0.5 until the end", SeedShare::DEFAULT, &preset("playground")).unwrap();
        assert_eq!(within.judge(&end).verdict, Verdict::Passed);
    }

    #[test]
    fn live_checks_follow_a_session_and_stop_applying_to_other_settings() {
        use crate::run::session::{Command, Session, Speed};
        let mut config = preset("playground");
        config.training.steps = 200;
        let checks: Vec<Check> = ["train_loss at step 100 < train_loss at step 0", "test_acc > 0.2 until step 200", "diverges by step 150"]
            .iter()
            .map(|text| Check::parse(text, SeedShare::DEFAULT, &config).unwrap())
            .collect();
        let mut live = LiveChecks::new(&checks, &config);
        let mut other_seed = config.clone();
        other_seed.seed = 7;
        let mut session = Session::new(other_seed).unwrap();
        let verdicts = |live: &mut LiveChecks, session: &mut Session| -> Vec<Verdict> {
            assert!(live.update(&session.view()), "the step's settings");
            live.results().map(|(_, outcome)| outcome.verdict).collect()
        };
        assert_eq!(verdicts(&mut live, &mut session), vec![Verdict::Pending; 3]);
        session.handle(Command::SetSpeed(Speed::Max));
        session.handle(Command::StopAt(crate::run::session::Stop::AtStep(120)));
        session.handle(Command::Play);
        while session.playing() {
            session.advance(web_time::Duration::from_secs(1));
        }
        assert_eq!(verdicts(&mut live, &mut session), vec![Verdict::Passed, Verdict::Pending, Verdict::Pending]);
        session.handle(Command::StopAt(crate::run::session::Stop::AtStep(200)));
        session.handle(Command::Play);
        while session.playing() {
            session.advance(web_time::Duration::from_secs(1));
        }
        assert_eq!(verdicts(&mut live, &mut session), vec![Verdict::Passed, Verdict::Passed, Verdict::Failed]);
        // A reset is a new run: every check starts over.
        session.handle(Command::Reset);
        assert_eq!(verdicts(&mut live, &mut session), vec![Verdict::Pending; 3]);
        let mut faster = config.clone();
        faster.training.learning_rate = 0.3;
        session.handle(Command::Apply(Box::new(faster)));
        assert!(!live.update(&session.view()), "other settings than the step's");
        assert_eq!(live.outcomes().len(), 3);
    }
}
