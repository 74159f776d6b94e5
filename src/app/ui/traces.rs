//! A history drawn at a chart's resolution. A software renderer pays for
//! every triangle, and a line of thousands of probes has more points than
//! the chart has pixels: a long history is drawn as one point per column
//! (the column's mean) over a faint band from the column's lowest to its
//! highest value, so a spike stays visible; and a line keeps only the
//! points that move it by half a pixel or more (a flat activation spread is
//! two points, not seven hundred).

use bevy_egui::egui::Color32;
use egui_plot::{FilledArea, Line, PlotPoints, PlotUi};

/// Columns a long history is summarised in: one every four pixels of the
/// side panel's charts (one every two drew 10,000 more triangles on a
/// ten-layer network's charts for no difference to see; one every three,
/// 3,000 more on a noisy run's, and a noisy history is the common case).
pub const COLUMNS: usize = 80;

/// Columns a chart of many lines shares out (each line has at most
/// [`COLUMNS`], at least [`MIN_COLUMNS`]).
const CHART_COLUMNS: usize = 480;
const MIN_COLUMNS: usize = 32;

/// The columns each of `lines` lines on one chart gets.
pub fn columns_for(lines: usize) -> usize {
    (CHART_COLUMNS / lines.max(1)).clamp(MIN_COLUMNS, COLUMNS)
}

/// How far (in pixels) a simplified line may stray from the full one.
const HALF_PIXEL: f64 = 0.5;

/// A series of `[x, y]` points (x not decreasing, y finite) ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    line: Vec<[f64; 2]>,
    band: Option<Band>,
}

/// Per column of a long history: where it sits, its lowest and its highest
/// value.
#[derive(Debug, Clone, PartialEq, Default)]
struct Band {
    xs: Vec<f64>,
    low: Vec<f64>,
    high: Vec<f64>,
}

impl Trace {
    pub fn new(points: Vec<[f64; 2]>) -> Self {
        Self::with_columns(points, COLUMNS)
    }

    /// `points`, point by point up to twice `columns` of them, beyond that
    /// in `columns` columns.
    pub fn with_columns(points: Vec<[f64; 2]>, columns: usize) -> Self {
        let columns = columns.max(1);
        if points.len() <= 2 * columns {
            return Self { line: points, band: None };
        }
        let (first, last) = (points[0][0], points[points.len() - 1][0]);
        let width = (last - first).max(f64::MIN_POSITIVE);
        let column = |x: f64| (((x - first) / width * columns as f64) as usize).min(columns - 1);
        let mut line = Vec::with_capacity(columns);
        let mut band = Band::default();
        for group in points.chunk_by(|a, b| column(a[0]) == column(b[0])) {
            let count = group.len() as f64;
            let x = group.iter().map(|p| p[0]).sum::<f64>() / count;
            let mean = group.iter().map(|p| p[1]).sum::<f64>() / count;
            line.push([x, mean]);
            band.xs.push(x);
            band.low.push(group.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min));
            band.high.push(group.iter().map(|p| p[1]).fold(f64::NEG_INFINITY, f64::max));
        }
        Self { line, band: Some(band) }
    }

    /// Whether the history is summarised in columns (a mean over a band).
    pub fn summarised(&self) -> bool {
        self.band.is_some()
    }

    /// The line alone: on a chart of many overlapping lines their bands
    /// merge into one faint mass that shows nothing, and a software
    /// renderer shades every band's pixels each frame.
    pub fn without_band(self) -> Self {
        Self { band: None, ..self }
    }

    /// The lowest and highest value drawn (the band's, if it has one).
    pub fn y_range(&self) -> Option<(f64, f64)> {
        let band = self.band.iter().flat_map(|band| band.low.iter().chain(&band.high));
        self.line
            .iter()
            .map(|p| &p[1])
            .chain(band)
            .fold(None, |range, &v| Some(range.map_or((v, v), |(low, high): (f64, f64)| (low.min(v), high.max(v)))))
    }

    /// Draws the band (faint) and the line over it (`style`d: width,
    /// dashes), both under `name`, so the legend shows and hides them
    /// together. A chart with a legend should pick the line's colour for it
    /// ([`legend`]).
    pub fn draw(self, plot: &mut PlotUi, name: String, colour: Color32, tolerance: f64, style: impl FnOnce(Line) -> Line) {
        self.simplified(tolerance).draw_as_is(plot, name, colour, style);
    }

    /// The trace with only the points its line needs within `tolerance`.
    fn simplified(self, tolerance: f64) -> Self {
        Self { line: simplify(&self.line, tolerance), ..self }
    }

    /// [`Trace::draw`] without simplifying the line again.
    pub fn draw_as_is(&self, plot: &mut PlotUi, name: String, colour: Color32, style: impl FnOnce(Line) -> Line) {
        if let Some(band) = &self.band {
            plot.add(FilledArea::new(name.clone(), &band.xs, &band.low, &band.high).fill_color(colour.gamma_multiply(0.3)));
        }
        plot.line(style(Line::new(name, PlotPoints::from(self.line.clone())).color(colour)));
    }
}

/// The traces of one chart, summarised and simplified once, for a chart
/// that keeps them while the history they come from stays the same.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartLines {
    pub traces: Vec<Trace>,
    /// How far in y a line may stray unseen (see [`tolerance`]).
    pub tolerance: f64,
}

impl ChartLines {
    /// `traces` as a chart `height` pixels tall shows them.
    pub fn new(traces: Vec<Trace>, height: f32) -> Self {
        let tolerance = tolerance(&traces, height);
        Self { traces: traces.into_iter().map(|trace| trace.simplified(tolerance)).collect(), tolerance }
    }
}

/// The chart's legend: a line and its band share one entry, in the line's
/// colour.
pub fn legend() -> egui_plot::Legend {
    egui_plot::Legend::default().color_conflict_handling(egui_plot::ColorConflictHandling::PickLast)
}

/// How far in y a line may stray unseen on a chart `height` pixels tall
/// that shows every trace of `traces` (and maybe more: a wider range only
/// makes the tolerance stricter than half a pixel).
pub fn tolerance<'a>(traces: impl IntoIterator<Item = &'a Trace>, height: f32) -> f64 {
    let range = traces.into_iter().filter_map(Trace::y_range).reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
    range.map_or(0.0, |(low, high)| (high - low) * HALF_PIXEL / f64::from(height.max(1.0)))
}

/// The points of `points` (x not decreasing) that a line needs to stay
/// within `tolerance` in y of the line through all of them: Douglas and
/// Peucker's simplification, measured vertically as a chart's eye does.
fn simplify(points: &[[f64; 2]], tolerance: f64) -> Vec<[f64; 2]> {
    let n = points.len();
    if n <= 2 {
        return points.to_vec();
    }
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    let mut spans = vec![(0, n - 1)];
    while let Some((a, b)) = spans.pop() {
        let (start, end) = (points[a], points[b]);
        let (mut worst, mut at) = (0.0, a);
        for (i, point) in points.iter().enumerate().take(b).skip(a + 1) {
            let off = off_segment(start, end, *point);
            if off > worst {
                worst = off;
                at = i;
            }
        }
        if worst > tolerance {
            keep[at] = true;
            spans.push((a, at));
            spans.push((at, b));
        }
    }
    points.iter().zip(keep).filter_map(|(point, kept)| kept.then_some(*point)).collect()
}

/// How far `point` lies in y from the segment `start`..`end` at its x (a
/// vertical segment covers the values between its ends).
fn off_segment(start: [f64; 2], end: [f64; 2], point: [f64; 2]) -> f64 {
    if end[0] > start[0] {
        let t = ((point[0] - start[0]) / (end[0] - start[0])).clamp(0.0, 1.0);
        (point[1] - (start[1] + t * (end[1] - start[1]))).abs()
    } else {
        let (low, high) = (start[1].min(end[1]), start[1].max(end[1]));
        (low - point[1]).max(point[1] - high).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The simplified line's y at `x` (x inside its range).
    fn at(line: &[[f64; 2]], x: f64) -> f64 {
        let i = line.partition_point(|p| p[0] < x).clamp(1, line.len() - 1);
        let (a, b) = (line[i - 1], line[i]);
        if b[0] > a[0] { a[1] + (x - a[0]) / (b[0] - a[0]) * (b[1] - a[1]) } else { a[1] }
    }

    fn noisy(count: usize) -> Vec<[f64; 2]> {
        (0..count).map(|i| [i as f64, ((i * 7919) % 1000) as f64 / 100.0 + (i as f64 / 300.0).sin()]).collect()
    }

    #[test]
    fn a_simplified_line_stays_within_the_tolerance_of_every_point() {
        for (points, tolerance) in [(noisy(300), 0.05), (noisy(300), 2.0), (noisy(3), 0.1)] {
            let line = simplify(&points, tolerance);
            assert!(line.len() <= points.len() && line.first() == points.first() && line.last() == points.last());
            for point in &points {
                let off = (at(&line, point[0]) - point[1]).abs();
                assert!(off <= tolerance + 1e-12, "{point:?} is {off} off a line simplified to {tolerance}");
            }
        }
        let flat: Vec<[f64; 2]> = (0..300).map(|i| [i as f64, 0.25]).collect();
        assert_eq!(simplify(&flat, 0.0), vec![[0.0, 0.25], [299.0, 0.25]]);
        let ramp: Vec<[f64; 2]> = (0..300).map(|i| [i as f64, 0.5 * i as f64]).collect();
        assert_eq!(simplify(&ramp, 1e-9).len(), 2, "a straight line needs its two ends");
    }

    #[test]
    fn a_long_history_keeps_every_columns_lowest_and_highest_value() {
        let points = noisy(20_000);
        let trace = Trace::new(points.clone());
        let band = trace.band.as_ref().expect("a long history has a band");
        assert_eq!(trace.line.len(), COLUMNS);
        assert!(trace.line.windows(2).all(|pair| pair[0][0] < pair[1][0]), "columns out of order");
        // Columns of equal width over the steps: 20,000 points, about 114 a
        // column.
        let span = points[points.len() - 1][0] - points[0][0];
        let mut columns: Vec<Vec<[f64; 2]>> = vec![Vec::new(); COLUMNS];
        for point in &points {
            columns[((point[0] / span * COLUMNS as f64) as usize).min(COLUMNS - 1)].push(*point);
        }
        let mut next = 0;
        for (k, column) in columns.iter().enumerate() {
            let low = column.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min);
            let high = column.iter().map(|p| p[1]).fold(f64::NEG_INFINITY, f64::max);
            assert_eq!((band.low[k], band.high[k]), (low, high), "column {k}");
            assert!(low <= trace.line[k][1] && trace.line[k][1] <= high, "column {k}'s mean is outside its band");
            assert!(column[0][0] <= band.xs[k] && band.xs[k] <= column[column.len() - 1][0], "column {k} drawn outside its steps");
            next += column.len();
        }
        assert_eq!(next, points.len(), "every point is in a column");
        let (low, high) = trace.y_range().unwrap();
        assert_eq!(low, points.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min));
        assert_eq!(high, points.iter().map(|p| p[1]).fold(f64::NEG_INFINITY, f64::max));
    }

    /// A chart's lines made once are the lines [`Trace::draw`] would draw
    /// each frame: simplified to the tolerance of every line on the chart.
    #[test]
    fn chart_lines_are_simplified_once_to_the_charts_tolerance() {
        let traces = vec![Trace::new(noisy(300)), Trace::new(noisy(20_000)), Trace::new((0..50).map(|i| [i as f64, 0.5]).collect())];
        let lines = ChartLines::new(traces.clone(), 130.0);
        assert_eq!(lines.tolerance, tolerance(&traces, 130.0));
        assert!(lines.tolerance > 0.0);
        for (made, trace) in lines.traces.iter().zip(&traces) {
            assert_eq!(made.line, simplify(&trace.line, lines.tolerance));
            assert_eq!(made.band, trace.band, "the band is kept as it is");
        }
        assert_eq!(lines.traces[2].line.len(), 2, "a flat line is its two ends");
    }

    #[test]
    fn a_short_history_is_drawn_point_by_point() {
        let points = noisy(2 * COLUMNS);
        assert_eq!(Trace::new(points.clone()), Trace { line: points, band: None });
        assert!(Trace::with_columns(noisy(2 * COLUMNS + 1), COLUMNS).band.is_some());
        assert_eq!(
            Trace::with_columns(noisy(1000), columns_for(11)).line.len(),
            CHART_COLUMNS / 11,
            "a deep network's lines share the chart"
        );
        assert_eq!(columns_for(1), COLUMNS);
        assert_eq!(columns_for(500), MIN_COLUMNS);
    }
}
