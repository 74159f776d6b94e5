//! Neuron pictures: the engine's maps of every neuron over the input square,
//! refreshed while training runs, and turned into egui textures: one atlas
//! holding every small tile, and a larger picture of the output.

use std::sync::Arc;

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, ColorImage, TextureHandle, TextureOptions};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use web_time::Instant;

use super::palette;
use super::schedule::{DrawSet, LabSet};
use super::session::Lab;
use crate::analysis::maps::{NeuronMaps, OutputMap, feature_maps, neuron_maps, output_map};
use crate::data::{Feature, InputPlane};
use crate::nn::TaskKind;
use crate::run::cadence::Cadence;

/// Resolution of each neuron's map.
pub const TILE_RESOLUTION: usize = 32;
/// Resolution of the output's larger picture.
pub const OUTPUT_RESOLUTION: usize = 64;
/// Resolution of the other replicas' small output pictures.
pub const REPLICA_RESOLUTION: usize = 32;
/// At most this many neurons of a layer are drawn.
pub const MAX_DRAWN_UNITS: usize = 16;
/// Pictures are refreshed at most this often, and less often when
/// computing them takes long (a quarter of the time at most).
const REFRESH: Cadence = Cadence::new(web_time::Duration::from_millis(80), 4);

/// How the pictures are coloured; the UI's switches.
#[derive(Resource, Clone, Debug, PartialEq, Default)]
pub struct PictureSettings {
    /// Scale each map to its own largest value instead of [-1, 1]: shows
    /// the shape of tiny signals (at the price of hiding their size).
    pub per_neuron_scale: bool,
    /// Colour the output by predicted class only.
    pub discretise: bool,
}

/// The latest maps from the engine and their textures.
#[derive(Resource, Default)]
pub struct NeuronPictures {
    pub maps: Option<NeuronMaps>,
    pub output: Option<OutputMap>,
    /// Every feature's map, switched on or not.
    pub all_features: Vec<Vec<f32>>,
    /// The lab generation and step the maps show.
    pub generation: u64,
    pub step: u64,
    refresh: Option<Cadence>,
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
    /// The other replicas' output pictures (replica 1 onward).
    pub replica_outputs: Vec<OutputMap>,
    pub replica_textures: Vec<TextureHandle>,
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
            .add_systems(Update, refresh_maps.in_set(LabSet::Refresh))
            .add_systems(EguiPrimaryContextPass, upload_textures.in_set(DrawSet::Upload));
    }
}

/// Asks the engine for new maps when the network changed and enough time
/// has passed.
pub fn refresh_maps(lab: Res<Lab>, mut pictures: ResMut<NeuronPictures>) {
    if !lab.data.plane.has_grid() {
        // Images have no plane to draw neurons over; the digits view shows
        // them instead.
        pictures.maps = None;
        pictures.output = None;
        pictures.replica_outputs.clear();
        pictures.generation = lab.generation;
        return;
    }
    let rebuilt = pictures.maps.is_none() || pictures.generation != lab.generation;
    let moved = pictures.step != lab.step;
    let cadence = pictures.refresh.get_or_insert(REFRESH);
    if !(rebuilt || (moved && cadence.due(Instant::now()))) {
        return;
    }
    let started = Instant::now();
    let data = &lab.data;
    let network = lab.network();
    pictures.maps = Some(neuron_maps(network, &data.plane, data.loss, TILE_RESOLUTION, MAX_DRAWN_UNITS));
    pictures.output = Some(output_map(network, &data.plane, data.loss, OUTPUT_RESOLUTION));
    pictures.replica_outputs = lab.networks[1..].iter().map(|n| output_map(n, &data.plane, data.loss, REPLICA_RESOLUTION)).collect();
    if rebuilt {
        pictures.training_cells = match data.plane {
            InputPlane::Pairs { modulus } => {
                let mut cells = vec![false; modulus * modulus];
                for &[a, b] in &data.train.points {
                    cells[a as usize * modulus + b as usize] = true;
                }
                cells
            }
            InputPlane::Points { .. } | InputPlane::Image { .. } => Vec::new(),
        };
    }
    pictures.generation = lab.generation;
    pictures.step = lab.step;
    if let Some(cadence) = pictures.refresh.as_mut() {
        cadence.done(started);
    }
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
    let Some(maps) = pictures.maps.as_ref() else { return Ok(()) };
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
    let output_image = pictures.output.as_ref().map(|output| picture(output, &pictures.training_cells));
    let replica_images: Vec<ColorImage> = pictures.replica_outputs.iter().map(|output| picture(output, &[])).collect();
    pictures.atlas_image = Some(Arc::new(atlas.clone()));
    match pictures.atlas.as_mut() {
        Some(handle) => handle.set(atlas, TextureOptions::NEAREST),
        None => pictures.atlas = Some(ctx.load_texture("neuron-atlas", atlas, TextureOptions::NEAREST)),
    }
    pictures.output_image = output_image.clone().map(Arc::new);
    if let Some(image) = output_image {
        match pictures.output_texture.as_mut() {
            Some(handle) => handle.set(image, TextureOptions::LINEAR),
            None => pictures.output_texture = Some(ctx.load_texture("output-map", image, TextureOptions::LINEAR)),
        }
    }
    pictures.stamp += 1;
    pictures.replica_textures.truncate(replica_images.len());
    for (index, image) in replica_images.into_iter().enumerate() {
        match pictures.replica_textures.get_mut(index) {
            Some(handle) => handle.set(image, TextureOptions::LINEAR),
            None => {
                let handle = ctx.load_texture(format!("replica-output-{index}"), image, TextureOptions::LINEAR);
                pictures.replica_textures.push(handle);
            }
        }
    }
    pictures.layout = layout;
    pictures.textures_stale = false;
    pictures.drawn_settings = Some(settings.clone());
    Ok(())
}
