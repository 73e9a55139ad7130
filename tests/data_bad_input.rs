//! Bad input gets a clear error naming the file (or is skipped and counted when it is one
//! unreadable image), never a panic; an empty split is an error before training.

use std::path::Path;

use botui::config::{AugmentSection, RunConfig};
use botui::data::loader::LoaderOptions;
use botui::data::transform::{Transform, ValTransform};
use botui::data::{self, DataError, Dataset, Loader, RgbImage, cifar, imagefolder, mnist};

fn save(path: &Path, rgb: [u8; 3]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    RgbImage::from_fn(40, 30, |x, y| {
        image::Rgb([rgb[0], (x * 6) as u8, (y * 8) as u8 ^ rgb[2]])
    })
    .save(path)
    .unwrap();
}

fn config(source: String) -> RunConfig {
    let mut c = RunConfig::default();
    c.data.source = source.into();
    c
}

/// The error's message, which must name `needle`.
fn message_names(err: DataError, needle: &str) -> String {
    let msg = err.to_string();
    assert!(msg.contains(needle), "{msg:?} does not name {needle:?}");
    msg
}

#[test]
fn missing_paths_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    for kind in ["imagefolder", "cifar10", "cifar100", "mnist"] {
        let err = data::open(&config(format!("{kind}:{}", missing.display())))
            .err()
            .unwrap();
        assert!(matches!(err, DataError::NotFound { .. }), "{kind}: {err}");
        message_names(err, "nope");
    }
}

#[test]
fn a_bad_spec_says_what_is_expected() {
    let err = data::open(&config("tfrecord:/x".into())).err().unwrap();
    message_names(err, "imagefolder:PATH");
}

#[test]
fn an_empty_class_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    save(&dir.path().join("train/cat/1.png"), [1, 2, 3]);
    std::fs::create_dir_all(dir.path().join("train/dog")).unwrap();
    std::fs::write(dir.path().join("train/dog/readme.txt"), "no images here").unwrap();
    let err = imagefolder::open(dir.path(), 0.1).unwrap_err();
    assert!(matches!(err, DataError::EmptyClass { .. }), "{err}");
    message_names(err, "train/dog");
}

#[test]
fn a_val_class_missing_from_train_is_named() {
    let dir = tempfile::tempdir().unwrap();
    save(&dir.path().join("train/cat/1.png"), [1, 2, 3]);
    save(&dir.path().join("val/cat/2.png"), [1, 2, 3]);
    save(&dir.path().join("val/wolf/3.png"), [1, 2, 3]);
    let err = imagefolder::open(dir.path(), 0.1).unwrap_err();
    assert!(matches!(err, DataError::ValClassNotInTrain { .. }), "{err}");
    message_names(err, "wolf");
}

#[test]
fn a_split_that_ends_up_empty_fails_before_training() {
    // One image per class: nothing can be held out for validation.
    let dir = tempfile::tempdir().unwrap();
    save(&dir.path().join("a/1.png"), [1, 2, 3]);
    save(&dir.path().join("b/1.png"), [1, 2, 3]);
    let err = data::open(&config(format!("imagefolder:{}", dir.path().display())))
        .err()
        .unwrap();
    assert!(matches!(err, DataError::Empty { .. }), "{err}");
    message_names(err, "validation set");
}

#[test]
fn corrupt_truncated_and_non_image_files_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for i in 0..6 {
        save(&root.join(format!("train/a/good{i}.jpg")), [10 * i, 0, 0]);
    }
    // Truncated: the first half of a real JPEG.
    let good = std::fs::read(root.join("train/a/good0.jpg")).unwrap();
    std::fs::write(root.join("train/a/truncated.jpg"), &good[..good.len() / 2]).unwrap();
    // Corrupt: a JPEG header followed by garbage.
    let mut corrupt = good[..20].to_vec();
    corrupt.extend(std::iter::repeat_n(0x55, 500));
    std::fs::write(root.join("train/a/corrupt.jpg"), corrupt).unwrap();
    // Not an image at all, with an image's name; and an empty file.
    std::fs::write(root.join("train/a/text.png"), "hello, I am text").unwrap();
    std::fs::write(root.join("train/a/empty.jpeg"), "").unwrap();
    save(&root.join("val/a/v.png"), [0, 0, 0]);

    let f = imagefolder::open(root, 0.1).unwrap();
    assert_eq!(
        f.train.len(),
        10,
        "bad files are found; they fail when read"
    );
    let aug = AugmentSection::default();
    let loader = Loader::new(
        std::sync::Arc::new(f.train),
        Transform::Val(ValTransform::new(16, &aug)),
        LoaderOptions {
            batch_size: 4,
            shuffle: false,
            drop_last: false,
            workers: 2,
            prefetch: 2,
            seed: 0,
        },
    );
    let mut epoch = loader.epoch(0);
    let images: usize = epoch.by_ref().map(|b| b.unwrap().len()).sum();
    let stats = epoch.stats();
    assert_eq!((images, stats.skipped), (6, 4));
    let all = stats.skipped_examples.join("\n");
    for name in ["truncated.jpg", "corrupt.jpg", "text.png", "empty.jpeg"] {
        assert!(all.contains(name), "{name} is not named in {all}");
    }
}

#[test]
fn cifar_files_of_the_wrong_length_or_label_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let record = |label: u8| [vec![label], vec![0u8; 3072]].concat();
    for i in 1..=5 {
        std::fs::write(p.join(format!("data_batch_{i}.bin")), record(1)).unwrap();
    }
    std::fs::write(
        p.join("test_batch.bin"),
        [record(1), vec![0u8; 100]].concat(),
    )
    .unwrap();
    let err = cifar::open(p, cifar::Kind::Cifar10).unwrap_err();
    let msg = message_names(err, "test_batch.bin");
    assert!(
        msg.contains("3173 bytes") && msg.contains("3073-byte records"),
        "{msg}"
    );

    std::fs::write(p.join("test_batch.bin"), record(10)).unwrap();
    let msg = message_names(
        cifar::open(p, cifar::Kind::Cifar10).unwrap_err(),
        "test_batch.bin",
    );
    assert!(msg.contains("label 10"), "{msg}");

    std::fs::write(p.join("test_batch.bin"), record(3)).unwrap();
    std::fs::write(p.join("batches.meta.txt"), "cat\ndog\n").unwrap();
    let msg = message_names(
        cifar::open(p, cifar::Kind::Cifar10).unwrap_err(),
        "batches.meta.txt",
    );
    assert!(msg.contains("2 class names, expected 10"), "{msg}");

    std::fs::remove_file(p.join("data_batch_3.bin")).unwrap();
    std::fs::remove_file(p.join("batches.meta.txt")).unwrap();
    message_names(
        cifar::open(p, cifar::Kind::Cifar10).unwrap_err(),
        "data_batch_3.bin",
    );

    // A CIFAR-10 folder opened as CIFAR-100.
    message_names(
        cifar::open(p, cifar::Kind::Cifar100).unwrap_err(),
        "train.bin",
    );
}

fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    dims.iter().for_each(|d| v.extend(d.to_be_bytes()));
    v.extend(data);
    v
}

#[test]
fn bad_mnist_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(p.join(name), bytes).unwrap();
    write("train-images-idx3-ubyte", idx(0x803, &[2, 4, 4], &[0; 32]));
    write("train-labels-idx1-ubyte", idx(0x801, &[2], &[1, 2]));
    write("t10k-images-idx3-ubyte", idx(0x803, &[1, 4, 4], &[0; 16]));
    write("t10k-labels-idx1-ubyte", idx(0x801, &[1], &[3]));
    assert_eq!(
        mnist::open(p).unwrap().classes.len(),
        10,
        "the good set opens"
    );

    write("t10k-images-idx3-ubyte", idx(0x803, &[1, 4, 4], &[0; 10]));
    let msg = message_names(mnist::open(p).unwrap_err(), "t10k-images-idx3-ubyte");
    assert!(msg.contains("10 data bytes") && msg.contains("16"), "{msg}");

    write("t10k-images-idx3-ubyte", idx(0x801, &[1, 4, 4], &[0; 16]));
    let msg = message_names(mnist::open(p).unwrap_err(), "t10k-images-idx3-ubyte");
    assert!(msg.contains("magic"), "{msg}");

    write("t10k-images-idx3-ubyte", idx(0x803, &[1, 4, 4], &[0; 16]));
    write("t10k-labels-idx1-ubyte", idx(0x801, &[2], &[3, 4]));
    let msg = message_names(mnist::open(p).unwrap_err(), "t10k-labels-idx1-ubyte");
    assert!(msg.contains("2 labels"), "{msg}");

    write("t10k-labels-idx1-ubyte", idx(0x801, &[1], &[12]));
    message_names(mnist::open(p).unwrap_err(), "label 0 is 12");

    write("t10k-labels-idx1-ubyte", vec![0x1f, 0x8b, 1, 2, 3]);
    message_names(mnist::open(p).unwrap_err(), "gzip");

    std::fs::remove_file(p.join("train-labels-idx1-ubyte")).unwrap();
    message_names(mnist::open(p).unwrap_err(), "train-labels-idx1-ubyte");
}
