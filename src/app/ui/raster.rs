//! Drawing on the CPU into a texture (tiny-skia), for what is many thin
//! shapes on screen but changes less often than frames: a software
//! renderer pays for every triangle each frame, a texture is two.

use bevy_egui::egui::{self, Color32, Pos2, Rect};

/// A tiny-skia colour from an egui one.
pub fn skia_colour(colour: Color32) -> tiny_skia::Color {
    let [r, g, b, a] = colour.to_srgba_unmultiplied();
    tiny_skia::Color::from_rgba8(r, g, b, a)
}

/// A picture as a tiny-skia pixmap (both are premultiplied RGBA).
pub fn pixmap_of(image: &egui::ColorImage) -> Option<tiny_skia::Pixmap> {
    let bytes: Vec<u8> = image.pixels.iter().flat_map(|p| p.to_array()).collect();
    tiny_skia::Pixmap::from_vec(bytes, tiny_skia::IntSize::from_wh(image.size[0] as u32, image.size[1] as u32)?)
}

/// Fills `target` (in the pixmap's pixels) with the part `source` of
/// `image` (in its pixels), scaled.
pub fn draw_part(
    canvas: &mut tiny_skia::Pixmap,
    image: &tiny_skia::Pixmap,
    source: Rect,
    target: Rect,
    quality: tiny_skia::FilterQuality,
    opacity: f32,
) {
    let (sx, sy) = (target.width() / source.width(), target.height() / source.height());
    let transform =
        tiny_skia::Transform::from_translate(-source.min.x, -source.min.y).post_scale(sx, sy).post_translate(target.min.x, target.min.y);
    let paint = tiny_skia::Paint {
        shader: tiny_skia::Pattern::new(image.as_ref(), tiny_skia::SpreadMode::Pad, quality, opacity, transform),
        ..tiny_skia::Paint::default()
    };
    if let Some(rect) = tiny_skia::Rect::from_xywh(target.min.x, target.min.y, target.width(), target.height()) {
        canvas.fill_rect(rect, &paint, tiny_skia::Transform::identity(), None);
    }
}

pub fn stroke_line(canvas: &mut tiny_skia::Pixmap, from: Pos2, to: Pos2, width: f32, colour: Color32) {
    let mut path = tiny_skia::PathBuilder::new();
    path.move_to(from.x, from.y);
    path.line_to(to.x, to.y);
    if let Some(path) = path.finish() {
        stroke_path(canvas, &path, width, colour);
    }
}

pub fn stroke_rect(canvas: &mut tiny_skia::Pixmap, rect: Rect, width: f32, colour: Color32) {
    if let Some(bounds) = tiny_skia::Rect::from_ltrb(rect.left(), rect.top(), rect.right(), rect.bottom()) {
        stroke_path(canvas, &tiny_skia::PathBuilder::from_rect(bounds), width, colour);
    }
}

pub fn stroke_path(canvas: &mut tiny_skia::Pixmap, path: &tiny_skia::Path, width: f32, colour: Color32) {
    let stroke = tiny_skia::Stroke { width, ..tiny_skia::Stroke::default() };
    canvas.stroke_path(path, &smooth_paint(colour), &stroke, tiny_skia::Transform::identity(), None);
}

pub fn fill_circle(canvas: &mut tiny_skia::Pixmap, centre: Pos2, radius: f32, colour: Color32) {
    let Some(path) = tiny_skia::PathBuilder::from_circle(centre.x, centre.y, radius) else { return };
    canvas.fill_path(&path, &smooth_paint(colour), tiny_skia::FillRule::Winding, tiny_skia::Transform::identity(), None);
}

/// One colour, anti-aliased.
pub fn smooth_paint(colour: Color32) -> tiny_skia::Paint<'static> {
    let mut paint = tiny_skia::Paint::default();
    paint.set_color(skia_colour(colour));
    paint.anti_alias = true;
    paint
}

/// A line through `points`, anti-aliased.
pub fn stroke_polyline(canvas: &mut tiny_skia::Pixmap, points: impl IntoIterator<Item = Pos2>, width: f32, colour: Color32) {
    let mut path = tiny_skia::PathBuilder::new();
    for (index, point) in points.into_iter().enumerate() {
        if index == 0 {
            path.move_to(point.x, point.y);
        } else {
            path.line_to(point.x, point.y);
        }
    }
    if let Some(path) = path.finish() {
        stroke_path(canvas, &path, width, colour);
    }
}

/// Puts `canvas` in `texture` (made on first use, named `name`).
pub fn show_in(ctx: &egui::Context, texture: &mut Option<egui::TextureHandle>, name: &str, canvas: &tiny_skia::Pixmap) {
    let image = egui::ColorImage::from_rgba_premultiplied([canvas.width() as usize, canvas.height() as usize], canvas.data());
    match texture {
        Some(texture) => texture.set(image, egui::TextureOptions::NEAREST),
        None => *texture = Some(ctx.load_texture(name, image, egui::TextureOptions::NEAREST)),
    }
}
