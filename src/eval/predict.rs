//! Classifying image files: each image through the validation transform (the run's crop ratio
//! and normalization, at the model's input side), the model, and a softmax; the `top` most
//! probable classes per image. An image that cannot be read is reported with the reason, and
//! the others are still classified.

use std::path::{Path, PathBuf};

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use serde::Serialize;

use super::load::LoadedModel;
use crate::data::imagefolder::{decode_image, image_files};
use crate::data::resample::Scratch;
use crate::data::transform::ValTransform;
use crate::train::validate::{Tta, logits};

/// Images per forward pass.
const BATCH: usize = 16;

/// One image's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub path: PathBuf,
    /// The most probable classes, most probable first; empty when the image failed.
    pub top: Vec<Guess>,
    /// The raw logits, when asked for (`[classes]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logits: Option<Vec<f32>>,
    /// Why the image could not be classified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guess {
    pub class: usize,
    pub name: String,
    pub probability: f32,
}

/// The image files the arguments name: files as given, folders expanded to the `.jpg`,
/// `.jpeg` and `.png` files under them (sorted). A path that does not exist or a folder that
/// cannot be read becomes a failed [`Prediction`].
pub fn image_paths(args: &[PathBuf]) -> (Vec<PathBuf>, Vec<Prediction>) {
    let (mut files, mut failed) = (Vec::new(), Vec::new());
    for arg in args {
        if arg.is_dir() {
            match image_files(arg) {
                Ok(found) if found.is_empty() => {
                    failed.push(failure(arg, "the folder has no .jpg, .jpeg or .png files"))
                }
                Ok(found) => files.extend(found),
                Err(e) => failed.push(failure(arg, &e.to_string())),
            }
        } else if arg.exists() {
            files.push(arg.clone());
        } else {
            failed.push(failure(arg, "no such file or folder"));
        }
    }
    (files, failed)
}

fn failure(path: &Path, why: &str) -> Prediction {
    Prediction {
        path: path.to_path_buf(),
        top: vec![],
        logits: None,
        error: Some(why.to_string()),
    }
}

/// The validation transform `loaded` was trained with, at its input side.
pub fn transform(loaded: &LoadedModel) -> ValTransform {
    ValTransform::new(loaded.config.input, &loaded.run_config().augment)
}

/// Reads and transforms one image: `3 * size * size` values, CHW.
pub fn preprocess(path: &Path, transform: &ValTransform) -> Result<Vec<f32>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let image = decode_image(path, &bytes).map_err(|e| e.to_string())?;
    let mut out = vec![0f32; 3 * transform.size * transform.size];
    transform.apply(&image, &mut Scratch::default(), &mut out);
    Ok(out)
}

/// Classifies `paths` in order; `top` classes per image (at most the class count), the raw
/// logits too when `with_logits`.
pub fn predict(
    loaded: &LoadedModel,
    paths: &[PathBuf],
    top: usize,
    with_logits: bool,
    device: &Device,
) -> Vec<Prediction> {
    let transform = transform(loaded);
    let k = loaded.config.classes;
    let names: Vec<String> = match &loaded.classes {
        Some(names) => names.clone(),
        None => (0..k).map(|c| format!("class {c}")).collect(),
    };
    let mut out = Vec::with_capacity(paths.len());
    for chunk in paths.chunks(BATCH) {
        let mut images = Vec::new();
        let mut ok = Vec::new();
        for path in chunk {
            match preprocess(path, &transform) {
                Ok(pixels) => {
                    images.extend(pixels);
                    ok.push(out.len());
                    out.push(failure(path, ""));
                }
                Err(why) => out.push(failure(path, &why)),
            }
        }
        if ok.is_empty() {
            continue;
        }
        let s = transform.size;
        let x = Tensor::<4>::from_data(TensorData::new(images, [ok.len(), 3, s, s]), device);
        let z = logits(&loaded.model, x, Tta::None);
        let probs = softmax(z.clone(), 1).into_data().convert::<f32>();
        let probs = probs.as_slice::<f32>().expect("f32 probabilities");
        let z = z.into_data().convert::<f32>();
        let z = z.as_slice::<f32>().expect("f32 logits");
        for (row, &i) in ok.iter().enumerate() {
            let p = &probs[row * k..(row + 1) * k];
            out[i].error = None;
            out[i].top = ranked(p, top)
                .into_iter()
                .map(|c| Guess {
                    class: c,
                    name: names[c].clone(),
                    probability: p[c],
                })
                .collect();
            out[i].logits = with_logits.then(|| z[row * k..(row + 1) * k].to_vec());
        }
    }
    out
}

/// The indices of the `top` largest values, largest first (ties: lower index first).
fn ranked(values: &[f32], top: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    order.truncate(top);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_largest_first() {
        assert_eq!(ranked(&[0.1, 0.6, 0.3], 2), vec![1, 2]);
        assert_eq!(ranked(&[0.5, 0.5, 0.0], 5), vec![0, 1, 2]);
    }

    #[test]
    fn missing_paths_and_empty_folders_fail_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let (files, failed) = image_paths(&[dir.path().join("nope.jpg"), empty.clone()]);
        assert!(files.is_empty());
        assert_eq!(failed.len(), 2);
        assert_eq!(failed[0].error.as_deref(), Some("no such file or folder"));
        assert_eq!(failed[1].path, empty);
    }
}
