//! Neuron pictures: the session's maps of every neuron over the input
//! square (made on the training thread), turned into egui textures: one
//! atlas holding every small tile, and a larger picture of the output.

use std::sync::Arc;

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, ColorImage, TextureHandle, TextureOptions};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::palette;
use super::schedule::{DrawSet, LabSet};
use super::session::Lab;
pub use crate::analysis::maps::MAX_DRAWN_UNITS;
use crate::analysis::maps::{NetworkPictures, OutputMap, TILE_RESOLUTION, feature_maps};
use crate::data::{Feature, InputPlane};
use crate::nn::TaskKind;

/// How the pictures are coloured; the UI's switches.
#[derive(Resource, Clone, Debug, PartialEq, Default)]
pub struct PictureSettings {
    /// Scale each map to its own largest value instead of [-1, 1]: shows
    /// the shape of tiny signals (at the price of hiding their size).
    pub per_neuron_scale: bool,
    /// Colour the output by predicted class only.
    pub discretise: bool,
}

/// The session's latest pictures and their textures.
#[derive(Resource, Default)]
pub struct NeuronPictures {
    /// The pictures the textures show.
    drawn: Option<Arc<NetworkPictures>>,
    /// Every feature's map, switched on or not.
    pub all_features: Vec<Vec<f32>>,
    /// The lab generation the training cells are of.
    generation: Option<u64>,
    textures_stale: bool,
    drawn_settings: Option<PictureSettings>,
    pub atlas: Option<TextureHandle>,
    pub output_texture: Option<TextureHandle>,
    /// The same pictures on the CPU, for the network diagram, which is
    /// drawn into one image.
    pub atlas_image: Option<Arc<ColorImage>>,
    pub output_image: Option<Arc<ColorImage>>,
    /// Counts the pictures' updates, so a drawing made from them knows when
    /// it is out of date.
    pub stamp: u64,
    pub layout: AtlasLayout,
    /// The other replicas' output pictures (replica 1 onward) side by
    /// side in one texture, so the replicas view draws them at once.
    pub replica_strip: Option<TextureHandle>,
    pub replica_count: usize,
    /// For pair planes: which cells are training pairs (row-major).
    training_cells: Vec<bool>,
}

/// Where each tile sits in the atlas: column 0 holds the input features,
/// then one column per hidden layer, then the output units.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AtlasLayout {
    pub columns: usize,
    pub rows: usize,
}

impl AtlasLayout {
    /// The texture coordinates of tile (column, row).
    pub fn uv(&self, column: usize, row: usize) -> egui::Rect {
        let (w, h) = (self.columns.max(1) as f32, self.rows.max(1) as f32);
        egui::Rect::from_min_max(egui::pos2(column as f32 / w, row as f32 / h), egui::pos2((column + 1) as f32 / w, (row + 1) as f32 / h))
    }
}

pub struct PicturesPlugin;

impl Plugin for PicturesPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<PictureSettings>()
            .insert_resource(NeuronPictures { all_features: feature_maps(&Feature::ALL, TILE_RESOLUTION), ..default() })
            .add_systems(Update, take_pictures.in_set(LabSet::Refresh))
            .add_systems(EguiPrimaryContextPass, upload_textures.in_set(DrawSet::Upload));
    }
}

/// Takes the session's newest pictures, when they are new.
pub fn take_pictures(lab: Res<Lab>, mut pictures: ResMut<NeuronPictures>) {
    let unchanged = match (&pictures.drawn, &lab.pictures) {
        (Some(drawn), Some(latest)) => Arc::ptr_eq(drawn, latest),
        (None, None) => true,
        _ => false,
    };
    if unchanged {
        return;
    }
    if pictures.generation != Some(lab.generation) {
        pictures.training_cells = match lab.data.plane {
            InputPlane::Pairs { modulus } => {
                let mut cells = vec![false; modulus * modulus];
                for &[a, b] in &lab.data.train.points {
                    cells[a as usize * modulus + b as usize] = true;
                }
                cells
            }
            InputPlane::Points { .. } | InputPlane::Image { .. } => Vec::new(),
        };
        pictures.generation = Some(lab.generation);
    }
    pictures.drawn = lab.pictures.clone();
    pictures.textures_stale = true;
}

fn map_scale(values: &[f32], per_neuron: bool) -> f32 {
    if per_neuron { values.iter().filter(|v| v.is_finite()).fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12) } else { 1.0 }
}

fn paint_tile(image: &mut ColorImage, tile: usize, column: usize, row: usize, values: &[f32], scale: f32) {
    let width = image.size[0];
    for (cell, &value) in values.iter().enumerate().take(tile * tile) {
        let (y, x) = (cell / tile, cell % tile);
        image.pixels[(row * tile + y) * width + column * tile + x] = palette::diverging(value, scale);
    }
}

/// The output picture's colour at one cell. Where every cell has an answer
/// (modular addition) it says right or wrong, paler on training pairs.
pub fn output_colour(task: TaskKind, output: &OutputMap, cell: usize, discretise: bool, training_cells: &[bool]) -> Color32 {
    let Some(class) = output.class[cell] else { return palette::NOT_A_NUMBER };
    if let Some(correct) = &output.correct {
        return match correct[cell] {
            Some(right) => palette::verdict(right, training_cells.get(cell).copied().unwrap_or(false)),
            None => palette::NOT_A_NUMBER,
        };
    }
    let (value, class) = (output.value[cell], class as usize);
    match task {
        TaskKind::Classification { classes } if classes > 2 => {
            let chance = 1.0 / classes as f32;
            let confidence = if discretise { 0.75 } else { (value - chance) / (1.0 - chance) };
            palette::class_with_confidence(class, confidence)
        }
        TaskKind::Classification { .. } if discretise => palette::class_with_confidence(class, 0.75),
        _ => palette::diverging(value, 1.0),
    }
}

fn upload_textures(
    mut contexts: EguiContexts,
    lab: Res<Lab>,
    settings: Res<PictureSettings>,
    mut pictures: ResMut<NeuronPictures>,
) -> Result {
    let settings_changed = pictures.drawn_settings.as_ref() != Some(&*settings);
    if !(pictures.textures_stale || settings_changed) {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let Some(drawn) = pictures.drawn.clone() else { return Ok(()) };
    let maps = &drawn.maps;
    let hidden = maps.layers.len() - 1;
    let tile = maps.resolution;
    let pairs = matches!(lab.data.plane, InputPlane::Pairs { .. });
    // Column 0: every feature of a point plane (on or off), or a and b.
    let inputs: &[Vec<f32>] = if pairs { &maps.inputs } else { &pictures.all_features };
    let widest = maps.layers.iter().map(Vec::len).max().unwrap_or(1).min(MAX_DRAWN_UNITS);
    let layout = AtlasLayout { columns: hidden + 2, rows: widest.max(inputs.len()) };
    let mut atlas = ColorImage::filled([layout.columns * tile, layout.rows * tile], Color32::TRANSPARENT);
    for (row, values) in inputs.iter().enumerate() {
        paint_tile(&mut atlas, tile, 0, row, values, 1.0);
    }
    for (layer, units) in maps.layers.iter().enumerate() {
        for (row, values) in units.iter().take(MAX_DRAWN_UNITS).enumerate() {
            paint_tile(&mut atlas, tile, layer + 1, row, values, map_scale(values, settings.per_neuron_scale));
        }
    }
    let task = lab.data.task;
    let picture = |output: &OutputMap, training_cells: &[bool]| {
        let pixels = (0..output.value.len()).map(|cell| output_colour(task, output, cell, settings.discretise, training_cells)).collect();
        ColorImage::new([output.resolution, output.resolution], pixels)
    };
    let output_image = picture(&drawn.output, &pictures.training_cells);
    pictures.atlas_image = Some(Arc::new(atlas.clone()));
    match pictures.atlas.as_mut() {
        Some(handle) => handle.set(atlas, TextureOptions::NEAREST),
        None => pictures.atlas = Some(ctx.load_texture("neuron-atlas", atlas, TextureOptions::NEAREST)),
    }
    pictures.output_image = Some(Arc::new(output_image.clone()));
    match pictures.output_texture.as_mut() {
        Some(handle) => handle.set(output_image, TextureOptions::LINEAR),
        None => pictures.output_texture = Some(ctx.load_texture("output-map", output_image, TextureOptions::LINEAR)),
    }
    pictures.stamp += 1;
    pictures.replica_count = drawn.replica_outputs.len();
    if let Some(strip) = replica_strip(&drawn.replica_outputs, |output| picture(output, &[])) {
        match pictures.replica_strip.as_mut() {
            Some(handle) => handle.set(strip, TextureOptions::LINEAR),
            None => pictures.replica_strip = Some(ctx.load_texture("replica-outputs", strip, TextureOptions::LINEAR)),
        }
    }
    pictures.layout = layout;
    pictures.textures_stale = false;
    pictures.drawn_settings = Some(settings.clone());
    Ok(())
}

/// The pictures side by side, left to right (all of one size).
fn replica_strip(outputs: &[OutputMap], picture: impl Fn(&OutputMap) -> ColorImage) -> Option<ColorImage> {
    let side = outputs.first()?.resolution;
    let mut strip = ColorImage::filled([side * outputs.len(), side], Color32::TRANSPARENT);
    for (index, output) in outputs.iter().enumerate() {
        let image = picture(output);
        for (row, pixels) in image.pixels.chunks_exact(side).enumerate() {
            let start = row * strip.size[0] + index * side;
            strip.pixels[start..start + side].copy_from_slice(pixels);
        }
    }
    Some(strip)
}

impl NeuronPictures {
    /// Where replica `index` (from 1) sits in [`Self::replica_strip`].
    pub fn replica_uv(&self, index: usize) -> egui::Rect {
        let width = self.replica_count.max(1) as f32;
        let left = (index.saturating_sub(1)) as f32 / width;
        egui::Rect::from_min_max(egui::pos2(left, 0.0), egui::pos2(left + 1.0 / width, 1.0))
    }
}
