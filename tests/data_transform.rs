//! The paper's transforms (PAPER.md section 1): statistics of every random step over many
//! draws, and hand-worked values for each deterministic step.

use botui::config::AugmentSection;
use botui::data::RgbImage;
use botui::data::color::{self, Jitter, JitterStep};
use botui::data::resample::{Scratch, Window, resize_window};
use botui::data::rng::DataRng;
use botui::data::transform::{
    TrainParams, TrainTransform, Transform, ValTransform, random_resized_crop,
};

const N: usize = 20_000;

fn solid(w: u32, h: u32, rgb: [u8; 3]) -> RgbImage {
    RgbImage::from_pixel(w, h, image::Rgb(rgb))
}

fn off() -> AugmentSection {
    AugmentSection {
        random_resized_crop: false,
        flip: false,
        color_jitter: false,
        lighting: false,
        normalize: false,
        ..AugmentSection::default()
    }
}

/// Runs `apply` with explicit parameters and returns pixel (x, y) as [r, g, b].
fn pixel(t: &TrainTransform, img: &RgbImage, p: &TrainParams, x: usize, y: usize) -> [f32; 3] {
    let s = t.size;
    let mut out = vec![0.0; 3 * s * s];
    t.apply(img, p, &mut Scratch::default(), &mut out);
    [0, 1, 2].map(|c| out[c * s * s + y * s + x])
}

fn no_params() -> TrainParams {
    TrainParams {
        crop: None,
        flip: false,
        jitter: None,
        lighting: None,
        randaugment: None,
    }
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
    (m, var.sqrt())
}

#[test]
fn crop_area_and_aspect_stay_in_bounds_and_aspect_is_uniform() {
    let mut rng = DataRng::new(7);
    let (w, h) = (1000u32, 1000u32);
    let mut small_aspects = Vec::new();
    let mut small_areas = Vec::new();
    for _ in 0..N {
        let c = random_resized_crop(w, h, [0.08, 1.0], [0.75, 4.0 / 3.0], &mut rng);
        assert!(c.x + c.w <= w && c.y + c.h <= h, "{c:?} leaves the image");
        let area = (c.w * c.h) as f64 / (w * h) as f64;
        let aspect = c.w as f64 / c.h as f64;
        assert!((0.079..=1.0).contains(&area), "area {area}");
        assert!((0.745..=1.34).contains(&aspect), "aspect {aspect}");
        if area < 0.74 {
            // No draw below area 0.75 is ever rejected on a square image, so these are the
            // draws themselves: area ~ U[0.08, 0.75), aspect ~ U[3/4, 4/3].
            small_aspects.push(aspect);
            small_areas.push(area);
        }
    }
    let (aspect_mean, _) = mean_std(&small_aspects);
    // Uniform: (0.75 + 4/3) / 2 = 1.0417. Log-uniform (torchvision) would give 1.0139.
    assert!(
        (aspect_mean - 1.041_67).abs() < 0.006,
        "mean aspect {aspect_mean}"
    );
    let (area_mean, _) = mean_std(&small_areas);
    assert!(
        (area_mean - (0.08 + 0.74) / 2.0).abs() < 0.01,
        "mean area {area_mean}"
    );
}

#[test]
fn crop_falls_back_to_a_center_crop_at_the_aspect_bound() {
    // 1000 x 10: no crop of area >= 8 % fits inside with aspect <= 4/3.
    let mut rng = DataRng::new(1);
    let c = random_resized_crop(1000, 10, [0.08, 1.0], [0.75, 4.0 / 3.0], &mut rng);
    // w = round(10 * 4/3) = 13, centered: x = (1000 - 13) / 2 = 493.
    assert_eq!((c.x, c.y, c.w, c.h), (493, 0, 13, 10));
}

#[test]
fn flip_rate_is_one_half() {
    let t = TrainTransform::new(32, &AugmentSection::default());
    let flips = (0..N)
        .filter(|&i| {
            t.sample(64, 64, &mut DataRng::for_image(1, 2, 3, i as u64))
                .flip
        })
        .count();
    let rate = flips as f64 / N as f64;
    assert!((rate - 0.5).abs() < 0.015, "flip rate {rate}"); // 4.2 sigma
}

#[test]
fn jitter_factors_cover_0_6_to_1_4_in_every_order() {
    let t = TrainTransform::new(32, &AugmentSection::default());
    let mut all = Vec::new();
    let mut orders = std::collections::HashSet::new();
    for i in 0..N {
        let j = t
            .sample(64, 64, &mut DataRng::new(i as u64))
            .jitter
            .expect("jitter on");
        all.extend([j.brightness, j.saturation, j.hue]);
        orders.insert(format!("{:?}", j.order));
    }
    let min = all.iter().copied().fold(f64::MAX, f64::min);
    let max = all.iter().copied().fold(f64::MIN, f64::max);
    assert!((0.6..0.602).contains(&min), "min factor {min}");
    assert!(max < 1.4 && max > 1.398, "max factor {max}");
    let (mean, std) = mean_std(&all);
    assert!((mean - 1.0).abs() < 0.005, "mean {mean}");
    // U[0.6, 1.4]: std = 0.8 / sqrt(12) = 0.2309.
    assert!((std - 0.2309).abs() < 0.004, "std {std}");
    assert_eq!(orders.len(), 6, "all 3! orders of the jitter steps");
}

#[test]
fn jitter_steps_match_hand_worked_values() {
    let t = TrainTransform::new(8, &off());
    let jitter = |b, s, h| TrainParams {
        jitter: Some(Jitter {
            brightness: b,
            saturation: s,
            hue: h,
            order: [
                JitterStep::Brightness,
                JitterStep::Saturation,
                JitterStep::Hue,
            ],
        }),
        ..no_params()
    };
    let close = |a: [f32; 3], b: [f32; 3]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 0.05);
    // Brightness 1.2 on gray 100 -> 120 (gray is unchanged by saturation and hue).
    let p = pixel(
        &t,
        &solid(8, 8, [100, 100, 100]),
        &jitter(1.2, 0.7, 1.3),
        3,
        3,
    );
    assert!(close(p, [120.0; 3]), "{p:?}");
    // Saturation 0.5 on (200, 100, 50): gray = 0.299*200 + 0.587*100 + 0.114*50 = 124.2,
    // 0.5 p + 0.5 gray = (162.1, 112.1, 87.1).
    let img = solid(8, 8, [200, 100, 50]);
    let p = pixel(&t, &img, &jitter(1.0, 0.5, 1.0), 3, 3);
    assert!(close(p, [162.1, 112.1, 87.1]), "{p:?}");
    // Hue factor 2 = rotation by pi in YIQ: Y kept, I and Q negated, so p -> 2Y - p
    // = (48.4, 148.4, 198.4).
    let p = pixel(&t, &img, &jitter(1.0, 1.0, 2.0), 3, 3);
    assert!(close(p, [48.4, 148.4, 198.4]), "{p:?}");
    // Hue factor 1 is the identity.
    let p = pixel(&t, &img, &jitter(1.0, 1.0, 1.0), 3, 3);
    assert!(close(p, [200.0, 100.0, 50.0]), "{p:?}");
    // Results are clamped to [0, 255].
    let p = pixel(&t, &img, &jitter(1.4, 1.0, 1.0), 3, 3);
    assert!(close(p, [255.0, 140.0, 70.0]), "{p:?}");
}

#[test]
fn hue_rotation_keeps_luma() {
    for angle in [0.3, 1.0, -1.2] {
        let m = color::hue_rotation(angle);
        let p = color::apply(&m, [30.0, 180.0, 90.0]);
        let luma = |q: [f64; 3]| 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
        assert!((luma(p) - luma([30.0, 180.0, 90.0])).abs() < 1e-9);
    }
}

#[test]
fn lighting_offset_matches_the_pca_formula() {
    // alpha = (1, 0, 0): 255 * 0.2175 * first eigenvector = (-31.475, -32.213, -32.368).
    let t = TrainTransform::new(8, &off());
    let p = TrainParams {
        lighting: Some([1.0, 0.0, 0.0]),
        ..no_params()
    };
    let v = pixel(&t, &solid(8, 8, [100, 100, 100]), &p, 2, 5);
    let expected = [100.0 - 31.475, 100.0 - 32.213, 100.0 - 32.368];
    assert!(
        v.iter().zip(expected).all(|(a, b)| (a - b).abs() < 0.01),
        "{v:?}"
    );
}

#[test]
fn lighting_noise_has_mean_zero_and_the_eigenvalue_stds() {
    let t = TrainTransform::new(8, &AugmentSection::default());
    let mut offsets = [Vec::new(), Vec::new(), Vec::new()];
    let mut projections = [Vec::new(), Vec::new(), Vec::new()];
    for i in 0..N {
        let alpha = t
            .sample(64, 64, &mut DataRng::new(i as u64 + 99))
            .lighting
            .expect("on");
        let off = color::lighting_offset(alpha);
        for c in 0..3 {
            offsets[c].push(off[c]);
            // Back onto eigenvector j: alpha_j * lambda_j * 255.
            let proj: f64 = (0..3).map(|k| color::PCA_EIGVEC[k][c] * off[k]).sum();
            projections[c].push(proj);
        }
    }
    // Per channel: 255 * 0.1 * sqrt(sum_j (V[c][j] lambda_j)^2), worked out by hand.
    let channel_std = [3.1667, 3.2226, 3.2542];
    for c in 0..3 {
        let (m, s) = mean_std(&offsets[c]);
        assert!(
            m.abs() < 4.0 * channel_std[c] / (N as f64).sqrt(),
            "channel {c} mean {m}"
        );
        assert!(
            (s / channel_std[c] - 1.0).abs() < 0.03,
            "channel {c} std {s}"
        );
    }
    // Along eigenvector j: std = 255 * 0.1 * lambda_j = 5.546, 0.4794, 0.1148 (the
    // eigenvectors are orthonormal to 4 decimals).
    for (j, expected) in [5.546, 0.4794, 0.114_75].into_iter().enumerate() {
        let (_, s) = mean_std(&projections[j]);
        assert!(
            (s / expected - 1.0).abs() < 0.03,
            "eigenvector {j}: std {s}, expected {expected}"
        );
    }
}

#[test]
fn normalization_uses_the_paper_mean_and_std() {
    let aug = AugmentSection {
        normalize: true,
        ..off()
    };
    let t = TrainTransform::new(8, &aug);
    let v = pixel(&t, &solid(50, 40, [124, 117, 104]), &no_params(), 4, 4);
    // (124 - 123.68) / 58.393, (117 - 116.779) / 57.12, (104 - 103.939) / 57.375
    let expected = [0.005_480, 0.003_869, 0.001_063];
    assert!(
        v.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-5),
        "{v:?}"
    );
}

#[test]
fn flip_mirrors_columns() {
    let aug = AugmentSection {
        val_crop_ratio: 1.0,
        ..off()
    };
    let t = TrainTransform::new(8, &aug);
    let img = RgbImage::from_fn(8, 8, |x, _| image::Rgb([if x < 4 { 0 } else { 255 }; 3]));
    let flipped = TrainParams {
        flip: true,
        ..no_params()
    };
    assert_eq!(pixel(&t, &img, &no_params(), 0, 2), [0.0; 3]);
    assert_eq!(pixel(&t, &img, &flipped, 0, 2), [255.0; 3]);
    assert_eq!(pixel(&t, &img, &flipped, 7, 2), [0.0; 3]);
}

#[test]
fn validation_resizes_the_short_side_then_center_crops() {
    // 64 x 32, red left of x = 32, blue from x = 32. Size 28, ratio 0.875: short side
    // round(28 / 0.875) = 32 (no resize), crop left = round((64 - 28) / 2) = 18, so the
    // boundary falls between output columns 13 and 14.
    let img = RgbImage::from_fn(64, 32, |x, _| {
        image::Rgb(if x < 32 { [255, 0, 0] } else { [0, 0, 255] })
    });
    let aug = AugmentSection {
        normalize: false,
        ..AugmentSection::default()
    };
    let t = ValTransform::new(28, &aug);
    let mut out = vec![0.0; 3 * 28 * 28];
    t.apply(&img, &mut Scratch::default(), &mut out);
    let at = |c: usize, x: usize, y: usize| out[c * 28 * 28 + y * 28 + x];
    for y in [0, 13, 27] {
        assert_eq!((at(0, 13, y), at(2, 13, y)), (255.0, 0.0));
        assert_eq!((at(0, 14, y), at(2, 14, y)), (0.0, 255.0));
    }
}

#[test]
fn downscaling_averages_instead_of_skipping_pixels() {
    // Columns 255, 0, 0, 0 repeating, shrunk 4x: every interior output is the mean 63.75
    // (plain bilinear sampling would read columns 4o+1 and 4o+2 only and give 0).
    let img = RgbImage::from_fn(32, 4, |x, _| {
        image::Rgb([if x % 4 == 0 { 255 } else { 0 }; 3])
    });
    let window = Window {
        x: 0.0,
        y: 0.0,
        w: 32.0,
        h: 4.0,
        bounds: [0, 0, 32, 4],
    };
    let mut s = Scratch::default();
    resize_window(&img, &window, 8, 1, &mut s);
    for o in 1..7 {
        assert!(
            (s.out[o * 3] - 63.75).abs() < 0.01,
            "output {o}: {}",
            s.out[o * 3]
        );
    }
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let img = RgbImage::from_fn(120, 90, |x, y| {
        image::Rgb([(x * 2) as u8, (y * 2) as u8, ((x + y) % 256) as u8])
    });
    let t = Transform::Train(TrainTransform::new(32, &AugmentSection::default()));
    let run = |seed, epoch, index| {
        let mut out = vec![0.0f32; 3 * 32 * 32];
        t.apply(&img, seed, epoch, index, &mut Scratch::default(), &mut out);
        out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    };
    assert_eq!(run(5, 1, 10), run(5, 1, 10));
    assert_ne!(run(5, 1, 10), run(6, 1, 10), "another seed");
    assert_ne!(run(5, 1, 10), run(5, 2, 10), "another epoch");
    assert_ne!(run(5, 1, 10), run(5, 1, 11), "another image");
}

/// RandAugment's operations against Pillow 13.0.0 through timm 1.0.31's own functions
/// (`timm.data.auto_augment.rotate`, `shear_x`, `color`, ...): `randaugment_pillow.bin` holds a
/// random 13 x 11 RGB image (`random.seed(3)`, 429 bytes) and then, 429 bytes each, what Pillow
/// makes of it for each case below, in order (fill (124, 117, 104)). Every case must match to
/// the byte: the look-up tables, Pillow's truncating blends, its fixed-point luma, the 3 x 3
/// smoothing and the affine resampling.
#[test]
fn randaugment_operations_match_pillow_byte_for_byte() {
    use botui::data::randaugment::affine::Resample::{Bicubic, Bilinear};
    use botui::data::randaugment::{MAX_LAYERS, Step, apply};
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/randaugment_pillow.bin"
    ))
    .unwrap();
    let size = 13 * 11 * 3;
    let input = RgbImage::from_raw(13, 11, bytes[..size].to_vec()).unwrap();
    let cases = [
        (Step::AutoContrast, Bilinear),
        (Step::Equalize, Bilinear),
        (Step::Invert, Bilinear),
        (Step::Posterize(2), Bilinear),
        (Step::Solarize(77), Bilinear),
        (Step::SolarizeAdd(77), Bilinear),
        (Step::Color(1.63), Bilinear),
        (Step::Color(0.37), Bilinear),
        (Step::Contrast(1.63), Bilinear),
        (Step::Contrast(0.37), Bilinear),
        (Step::Brightness(1.63), Bilinear),
        (Step::Brightness(0.37), Bilinear),
        (Step::Sharpness(1.63), Bilinear),
        (Step::Sharpness(0.37), Bilinear),
        (Step::Rotate(21.0), Bilinear),
        (Step::Rotate(-21.0), Bicubic),
        (Step::ShearX(0.21), Bilinear),
        (Step::ShearY(-0.21), Bicubic),
        (Step::TranslateX(0.315), Bilinear),
        (Step::TranslateY(-0.315), Bicubic),
    ];
    assert_eq!(bytes.len(), size * (cases.len() + 1));
    for (i, (step, resample)) in cases.into_iter().enumerate() {
        let mut img = input.clone();
        let mut draw = [None; MAX_LAYERS];
        draw[0] = Some((step, resample));
        apply(&mut img, &draw, [124, 117, 104]);
        let want = &bytes[size * (i + 1)..size * (i + 2)];
        assert!(
            img.as_raw() == want,
            "{step:?} with {resample:?} differs from Pillow"
        );
    }
}
