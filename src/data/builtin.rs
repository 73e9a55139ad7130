//! The built-in dataset: RGB images drawn on the fly, no files and no download.
//!
//! A class is a combination of three attributes of one foreground object, so no single
//! attribute names the class and a network has to learn the combination:
//! - shape (8): disk, ring, square, frame, triangle, cross, bar, star;
//! - texture (4): stripes, checker, dots, outline;
//! - color scheme (4): gray (two grays), mono (one hue, dark and light), complementary (two
//!   hues half a turn apart), quarter (two hues a quarter turn apart). The base hue is random,
//!   so a scheme is a relation between colors, which hue jitter (a rotation of all hues) keeps.
//!
//! Everything else varies without meaning: position, scale, rotation, texture period, phase
//! and angle, base hue and lightness, a two-color gradient background, clutter (small solid
//! shapes of the same kinds), opacity and pixel noise. `data.builtin_difficulty` (by default
//! [`DEFAULT_DIFFICULTY`]) sets how much.
//!
//! Image `i` of a split is drawn from its own generator seeded by (seed, split, i): the set
//! takes no memory and the same seed gives the same bytes. Labels are `i % classes`, so each
//! class has exactly its share of images.

use image::RgbImage;

use super::rng::{DataRng, derive, stream};
use super::{Classes, DataError, Dataset};
use crate::config::DataSection;

/// How hard the images are (`data.builtin_difficulty`), from 0 (large, clean objects on a plain
/// background) to 1 (small objects, strong clutter and noise, low texture contrast). What it
/// changes:
/// object radius `[0.34 - 0.14 d, 0.42]` of the side, clutter `round(2 + 6 d)` shapes, pixel
/// noise std `255 (0.02 + 0.08 d)`, texture contrast `1 - 0.35 d`, opacity down to `1 - 0.3 d`.
///
/// Calibration (a throwaway loop, not the trainer): ResNet-18 with the small stem on flex,
/// the paper's full training transform at 32 x 32, batch 128, NAG lr 0.1 with cosine decay,
/// weight decay 1e-4, the default 20 classes x 250 training / 50 validation images.
/// - difficulty 0.3 (the default): val top-1 / top-5 12.1 % / 49.9 % after 1 epoch, 19.4 % /
///   69.7 % after 3 (cosine over 3 epochs); chance is 5 % / 25 %.
/// - difficulty 0.5: 8.1 % / 39.8 % after 1 epoch, 16.8 % / 64.6 % after 3 of 5.
///
/// Most of the difficulty at 32 x 32 comes from the paper's crop (as little as 8 % of the
/// image: a 9 x 9 patch), not from this knob.
pub const DEFAULT_DIFFICULTY: f32 = crate::config::BUILTIN_DEFAULT_DIFFICULTY as f32;

/// The dataset seed botui runs use: every run sees the same images whatever its own seed, so
/// runs that differ in a trick are compared on the same data.
pub const DATA_SEED: u64 = 0x0062_6f74_7569;

const SHAPES: [&str; 8] = [
    "disk", "ring", "square", "frame", "triangle", "cross", "bar", "star",
];
const TEXTURES: [&str; 4] = ["stripes", "checker", "dots", "outline"];
const SCHEMES: [&str; 4] = ["gray", "mono", "complementary", "quarter"];

/// The number of distinct classes the attributes make.
pub const MAX_CLASSES: usize = SHAPES.len() * TEXTURES.len() * SCHEMES.len();
// The config checks `data.builtin_classes` against its own copy of the count.
const _: () = assert!(MAX_CLASSES == crate::config::BUILTIN_MAX_CLASSES);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Val,
}

/// One class: indices into the attribute lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Recipe {
    shape: usize,
    texture: usize,
    scheme: usize,
}

impl Recipe {
    fn name(&self) -> String {
        format!(
            "{}-{}-{}",
            SHAPES[self.shape], TEXTURES[self.texture], SCHEMES[self.scheme]
        )
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltinSpec {
    pub classes: usize,
    pub train_per_class: usize,
    pub val_per_class: usize,
    pub size: usize,
    pub seed: u64,
    pub difficulty: f32,
}

impl BuiltinSpec {
    pub fn from_config(d: &DataSection) -> Result<Self, DataError> {
        let spec = BuiltinSpec {
            classes: d.builtin_classes,
            train_per_class: d.builtin_train_per_class,
            val_per_class: d.builtin_val_per_class,
            size: d.builtin_size,
            seed: DATA_SEED,
            difficulty: d.builtin_difficulty as f32,
        };
        spec.check()?;
        Ok(spec)
    }

    pub fn check(&self) -> Result<(), DataError> {
        if self.classes > MAX_CLASSES {
            return Err(DataError::TooManyBuiltinClasses {
                asked: self.classes,
                max: MAX_CLASSES,
            });
        }
        let bad = |key, value: String, expected: &str| {
            Err(DataError::BadSetting {
                key,
                value,
                expected: expected.into(),
            })
        };
        if self.classes < 2 {
            return bad(
                "data.builtin_classes",
                self.classes.to_string(),
                "at least 2",
            );
        }
        if self.size < 8 {
            return bad(
                "data.builtin_size",
                self.size.to_string(),
                "at least 8 pixels",
            );
        }
        if !(0.0..=1.0).contains(&self.difficulty) {
            return bad(
                "data.builtin_difficulty",
                self.difficulty.to_string(),
                "a number in [0, 1]",
            );
        }
        Ok(())
    }

    /// The classes, sorted by name; label `l` draws `recipes()[l]`.
    fn recipes(&self) -> Vec<Recipe> {
        // A fixed shuffle of all combinations (independent of the data seed, so a class name
        // always means the same images), of which the first `classes` are used.
        let mut all: Vec<Recipe> = (0..MAX_CLASSES)
            .map(|i| Recipe {
                shape: i % SHAPES.len(),
                texture: (i / SHAPES.len()) % TEXTURES.len(),
                scheme: i / (SHAPES.len() * TEXTURES.len()),
            })
            .collect();
        DataRng::new(derive(&[stream::BUILTIN, 0x636c_6173])).shuffle(&mut all);
        all.truncate(self.classes);
        all.sort_by_key(Recipe::name);
        all
    }

    pub fn classes(&self) -> Classes {
        Classes(self.recipes().iter().map(Recipe::name).collect())
    }

    pub fn split(&self, split: Split) -> BuiltinSet {
        BuiltinSet {
            spec: self.clone(),
            split,
            recipes: self.recipes(),
        }
    }
}

/// One split of the built-in dataset.
#[derive(Debug, Clone)]
pub struct BuiltinSet {
    spec: BuiltinSpec,
    split: Split,
    recipes: Vec<Recipe>,
}

impl Dataset for BuiltinSet {
    fn len(&self) -> usize {
        let per_class = match self.split {
            Split::Train => self.spec.train_per_class,
            Split::Val => self.spec.val_per_class,
        };
        per_class * self.spec.classes
    }

    fn label(&self, index: usize) -> usize {
        index % self.spec.classes
    }

    fn load(&self, index: usize) -> Result<RgbImage, DataError> {
        let split = match self.split {
            Split::Train => 0,
            Split::Val => 1,
        };
        let mut rng = DataRng::for_image(stream::BUILTIN, self.spec.seed, split, index as u64);
        let recipe = self.recipes[self.label(index)];
        Ok(super::builtin_draw::draw(
            recipe.shape,
            recipe.texture,
            recipe.scheme,
            self.spec.size,
            self.spec.difficulty as f64,
            &mut rng,
        ))
    }
}
