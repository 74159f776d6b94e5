//! The sweep's picture, drawn with `plotters` into a pixel buffer and
//! written as PNG. The font is compiled in (ab_glyph renders it), so no
//! system font library or font file is needed anywhere.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;

use super::SweepError;
use super::picture::{Picture, PictureAxis};

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 720;
const COLOUR_BAR_WIDTH: u32 = 130;
const FONT: &str = "sans-serif";
/// Cells that no run gave a number.
const EMPTY: RGBColor = RGBColor(200, 200, 200);
const LINE: RGBColor = RGBColor(255, 255, 255);
const CRITICAL: RGBColor = RGBColor(255, 120, 80);

type DrawError = Box<dyn std::error::Error + Send + Sync>;

/// Registers the compiled-in font under [`FONT`], once.
fn register_font() -> Result<(), DrawError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok =
        *REGISTERED.get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT).is_ok());
    if ok { Ok(()) } else { Err("the compiled-in font does not load".into()) }
}

pub(super) fn draw(picture: &Picture, path: &Path) -> Result<(), SweepError> {
    let failed = |source: DrawError| SweepError::Draw { path: path.to_path_buf(), source };
    register_font().map_err(failed)?;
    let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    render(picture, &mut pixels).map_err(failed)?;
    encode_png(&pixels, path).map_err(failed)
}

fn render(picture: &Picture, pixels: &mut [u8]) -> Result<(), DrawError> {
    let root = BitMapBackend::with_buffer(pixels, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let (body, footer) = root.split_vertically(HEIGHT - 28);
    footer.draw(&Text::new(picture.footnote.clone(), (12, 6), (FONT, 14).into_font().color(&RGBColor(90, 90, 90))))?;
    let (main, bar) = body.split_horizontally(WIDTH - COLOUR_BAR_WIDTH);

    let (x0, x1) = picture.x.span();
    let (y0, y1) = picture.y.span();
    let mut chart = ChartBuilder::on(&main)
        .caption(&picture.title, (FONT, 22))
        .margin(14)
        .x_label_area_size(56)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    let x_ticks = tick_formatter(&picture.x);
    let y_ticks = tick_formatter(&picture.y);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(picture.x.label.as_str())
        .y_desc(picture.y.label.as_str())
        .x_labels(tick_count(&picture.x))
        .y_labels(tick_count(&picture.y))
        .x_label_formatter(&x_ticks)
        .y_label_formatter(&y_ticks)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .draw()?;

    let (low, high) = picture.range;
    let colour = |value: f64| ViridisRGB::get_color_normalized(value.clamp(low, high), low, high);
    let (x_edges, y_edges) = (picture.x.edges(), picture.y.edges());
    let mut crosses = Vec::new();
    for (yi, row) in picture.values.iter().enumerate() {
        for (xi, value) in row.iter().enumerate() {
            let (left, right) = x_edges[xi];
            let (bottom, top) = y_edges[yi];
            let fill = value.map_or(EMPTY, colour);
            chart.draw_series(std::iter::once(Rectangle::new([(left, bottom), (right, top)], fill.filled())))?;
            if picture.diverged[yi][xi] {
                crosses.push(((left + right) / 2.0, (bottom + top) / 2.0));
            }
        }
    }
    if !crosses.is_empty() {
        chart
            .draw_series(crosses.into_iter().map(|at| Cross::new(at, 5, RED.stroke_width(2))))?
            .label("some seeds diverged")
            .legend(|(x, y)| Cross::new((x + 10, y), 5, RED.stroke_width(2)));
    }
    if let Some(curve) = &picture.curve {
        let style = LINE.stroke_width(3);
        for (index, segment) in curve.segments.iter().enumerate() {
            let series = chart.draw_series(LineSeries::new(segment.iter().copied(), style))?;
            if index == 0 {
                series.label(curve.label.as_str()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            }
        }
        if let Some(critical) = curve.critical {
            let dashed = CRITICAL.stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new([(critical, y0), (critical, y1)], 8, 6, dashed))?
                .label(format!("χ₁ = 1 at σw² = {critical:.2} (edge of chaos)"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], dashed));
        }
    }
    if picture.curve.is_some() || picture.diverged.iter().flatten().any(|&d| d) {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(RGBColor(40, 40, 40).mix(0.75))
            .border_style(WHITE)
            .label_font((FONT, 15).into_font().color(&WHITE))
            .draw()?;
    }

    colour_bar(&bar, picture, &colour)?;
    root.present()?;
    Ok(())
}

/// A categorical axis labels its values at their indices and nothing in
/// between; a numeric axis prints numbers.
fn tick_formatter(axis: &PictureAxis) -> impl Fn(&f64) -> String + '_ {
    move |&value: &f64| {
        if axis.numeric {
            let text = format!("{value:.2}");
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            let index = value.round();
            if (value - index).abs() < 1e-6 && index >= 0.0 {
                axis.ticks.get(index as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        }
    }
}

fn tick_count(axis: &PictureAxis) -> usize {
    if axis.numeric { 10 } else { axis.ticks.len().max(1) }
}

fn colour_bar(area: &DrawingArea<BitMapBackend, Shift>, picture: &Picture, colour: &dyn Fn(f64) -> RGBColor) -> Result<(), DrawError> {
    let (low, high) = picture.range;
    let mut chart = ChartBuilder::on(area)
        .margin_top(60)
        .margin_bottom(70)
        .margin_right(14)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..1.0, low..high)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(8)
        .y_desc(picture.colour_label.as_str())
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()?;
    let steps = 100;
    chart.draw_series((0..steps).map(|k| {
        let a = low + (high - low) * k as f64 / steps as f64;
        let b = low + (high - low) * (k + 1) as f64 / steps as f64;
        Rectangle::new([(0.0, a), (1.0, b)], colour((a + b) / 2.0).filled())
    }))?;
    Ok(())
}

fn encode_png(rgb: &[u8], path: &Path) -> Result<(), DrawError> {
    let file = std::fs::File::create(path)?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(())
}
