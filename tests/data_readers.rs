//! Each reader on small files written here: ImageFolder (both layouts), CIFAR-10/100 binary,
//! MNIST IDX (raw and gzipped), and the built-in generator.

use std::io::Write;
use std::path::Path;

use botui::config::{DataSection, RunConfig};
use botui::data::builtin::{BuiltinSpec, MAX_CLASSES, Split};
use botui::data::{self, Classes, DataError, Dataset, RgbImage, cifar, imagefolder, mnist};

fn save(path: &Path, w: u32, h: u32, rgb: [u8; 3]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    RgbImage::from_pixel(w, h, image::Rgb(rgb))
        .save(path)
        .unwrap();
}

fn labels_of(set: &dyn Dataset) -> Vec<usize> {
    (0..set.len()).map(|i| set.label(i)).collect()
}

#[test]
fn imagefolder_train_val_layout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Classes on disk in non-sorted creation order; extensions in both cases.
    save(&root.join("train/zebra/a.JPEG"), 20, 10, [250, 0, 0]);
    save(&root.join("train/zebra/b.png"), 20, 10, [251, 0, 0]);
    save(&root.join("train/ant/x.jpg"), 12, 12, [0, 250, 0]);
    save(&root.join("train/ant/sub/y.jpeg"), 12, 12, [0, 251, 0]);
    std::fs::write(root.join("train/ant/notes.txt"), "not an image").unwrap();
    save(&root.join("val/zebra/c.png"), 8, 8, [0, 0, 250]);
    let f = imagefolder::open(root, 0.1).unwrap();
    assert_eq!(f.classes, Classes(vec!["ant".into(), "zebra".into()]));
    assert_eq!(
        f.train.len(),
        4,
        "the .txt is ignored, sub-folders are searched"
    );
    assert_eq!(labels_of(&f.train), vec![0, 0, 1, 1]);
    assert!(
        f.train.path(1).ends_with("ant/x.jpg"),
        "{:?}",
        f.train.path(1)
    );
    assert_eq!(labels_of(&f.val), vec![1]);
    let img = f.val.load(0).unwrap();
    assert_eq!((img.width(), img.height()), (8, 8));
    assert_eq!(img.get_pixel(3, 3).0, [0, 0, 250], "PNG is lossless");
    let img = f.train.load(3).unwrap(); // zebra/b.png
    assert_eq!(img.get_pixel(0, 0).0, [251, 0, 0]);
}

#[test]
fn imagefolder_single_folder_is_split_per_class_and_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    for class in ["cat", "dog"] {
        for i in 0..20 {
            save(
                &dir.path().join(format!("{class}/{i:02}.png")),
                4,
                4,
                [i as u8, 0, 0],
            );
        }
    }
    save(&dir.path().join("owl/only.png"), 4, 4, [1, 2, 3]);
    let a = imagefolder::open(dir.path(), 0.25).unwrap();
    assert_eq!(a.classes.names(), ["cat", "dog", "owl"]);
    // round(20 * 0.25) = 5 per class held out; a class of one image keeps it for training.
    let count = |set: &dyn Dataset, l| labels_of(set).iter().filter(|&&x| x == l).count();
    assert_eq!(
        (count(&a.val, 0), count(&a.val, 1), count(&a.val, 2)),
        (5, 5, 0)
    );
    assert_eq!(
        (count(&a.train, 0), count(&a.train, 1), count(&a.train, 2)),
        (15, 15, 1)
    );
    let b = imagefolder::open(dir.path(), 0.25).unwrap();
    let paths = |s: &imagefolder::ImageFolder| (0..s.len()).map(|i| s.path(i)).collect::<Vec<_>>();
    assert_eq!(paths(&a.val), paths(&b.val), "same split every time");
    // Not simply the first files of each class.
    let first_five: Vec<_> = (0..5)
        .map(|i| dir.path().join(format!("cat/{i:02}.png")))
        .collect();
    assert_ne!(paths(&a.val)[..5], first_five[..]);
}

#[test]
fn imagefolder_train_without_val_is_split() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..10 {
        save(
            &dir.path().join(format!("train/a/{i}.png")),
            4,
            4,
            [0, 0, 0],
        );
        save(
            &dir.path().join(format!("train/b/{i}.png")),
            4,
            4,
            [0, 0, 0],
        );
    }
    let f = imagefolder::open(dir.path(), 0.2).unwrap();
    assert_eq!((f.train.len(), f.val.len()), (16, 4));
}

fn cifar_record(label_bytes: &[u8], r: u8, g: u8, b: u8) -> Vec<u8> {
    let mut rec = label_bytes.to_vec();
    for plane in [r, g, b] {
        // Pixel 1 of each plane (x = 1, y = 0) carries plane + 1 to check the layout.
        let mut p = vec![plane; 1024];
        p[1] = plane.wrapping_add(1);
        rec.extend(p);
    }
    rec
}

#[test]
fn cifar10_binary_records_names_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("cifar-10-batches-bin");
    std::fs::create_dir_all(&bin).unwrap();
    for i in 1..=5u8 {
        let mut bytes = cifar_record(&[i], 10 * i, 20, 30);
        bytes.extend(cifar_record(&[9], 1, 2, 3));
        std::fs::write(bin.join(format!("data_batch_{i}.bin")), bytes).unwrap();
    }
    std::fs::write(bin.join("test_batch.bin"), cifar_record(&[7], 5, 6, 7)).unwrap();
    let names = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
    std::fs::write(bin.join("batches.meta.txt"), names).unwrap();
    // The parent folder is accepted too.
    let c = cifar::open(dir.path(), cifar::Kind::Cifar10).unwrap();
    assert_eq!(c.train.len(), 10);
    assert_eq!(labels_of(&c.train), vec![1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    assert_eq!(c.classes.names()[9], "truck");
    let img = c.train.load(2).unwrap(); // batch 2, record 0: planes 20, 20, 30
    assert_eq!((img.width(), img.height()), (32, 32));
    assert_eq!(img.get_pixel(0, 0).0, [20, 20, 30]);
    assert_eq!(img.get_pixel(1, 0).0, [21, 21, 31]);
    assert_eq!(labels_of(&c.test), vec![7]);
}

#[test]
fn cifar100_uses_fine_labels_and_fine_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut train = cifar_record(&[3, 42], 1, 2, 3);
    train.extend(cifar_record(&[19, 99], 4, 5, 6));
    std::fs::write(dir.path().join("train.bin"), train).unwrap();
    std::fs::write(dir.path().join("test.bin"), cifar_record(&[0, 5], 1, 1, 1)).unwrap();
    let c = cifar::open(dir.path(), cifar::Kind::Cifar100).unwrap();
    assert_eq!(labels_of(&c.train), vec![42, 99]);
    assert_eq!(c.classes.len(), 100);
    assert_eq!(
        c.classes.names()[42],
        "42",
        "numbers when fine_label_names.txt is absent"
    );
    let names: String = (0..100).map(|i| format!("name{i:03}\n")).collect();
    std::fs::write(dir.path().join("fine_label_names.txt"), names).unwrap();
    let c = cifar::open(dir.path(), cifar::Kind::Cifar100).unwrap();
    assert_eq!(c.classes.names()[99], "name099");
    assert_eq!(c.train.load(1).unwrap().get_pixel(5, 5).0, [4, 5, 6]);
}

fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(data);
    v
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write_mnist(dir: &Path, gzipped: bool) {
    let images: Vec<u8> = (0..3 * 28 * 28).map(|i| (i % 251) as u8).collect();
    let files = [
        ("train-images-idx3-ubyte", idx(0x803, &[3, 28, 28], &images)),
        ("train-labels-idx1-ubyte", idx(0x801, &[3], &[5, 0, 9])),
        (
            "t10k-images-idx3-ubyte",
            idx(0x803, &[1, 28, 28], &images[..784]),
        ),
        ("t10k-labels-idx1-ubyte", idx(0x801, &[1], &[3])),
    ];
    for (name, bytes) in files {
        if gzipped {
            std::fs::write(dir.join(format!("{name}.gz")), gz(&bytes)).unwrap();
        } else {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
}

#[test]
fn mnist_raw_and_gzipped_gray_to_three_channels() {
    for gzipped in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        write_mnist(dir.path(), gzipped);
        let m = mnist::open(dir.path()).unwrap();
        assert_eq!(labels_of(&m.train), vec![5, 0, 9]);
        assert_eq!(labels_of(&m.test), vec![3]);
        assert_eq!(
            m.classes.names(),
            ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
        );
        let img = m.train.load(1).unwrap();
        assert_eq!((img.width(), img.height()), (28, 28));
        // Image 1, pixel (x = 2, y = 1): byte 784 + 28 + 2 = 814 -> 814 % 251 = 61.
        assert_eq!(img.get_pixel(2, 1).0, [61, 61, 61]);
    }
}

#[test]
fn builtin_is_deterministic_balanced_and_varied() {
    let spec = BuiltinSpec::from_config(&DataSection::default()).unwrap();
    let train = spec.split(Split::Train);
    let val = spec.split(Split::Val);
    assert_eq!((train.len(), val.len()), (20 * 250, 20 * 50));
    let classes = spec.classes();
    assert_eq!(classes.len(), 20);
    let mut sorted = classes.names().to_vec();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, classes.names(), "sorted and distinct");
    let labels = labels_of(&train);
    for c in 0..20 {
        assert_eq!(labels.iter().filter(|&&l| l == c).count(), 250);
    }
    let a = train.load(123).unwrap();
    assert_eq!((a.width(), a.height()), (32, 32));
    assert_eq!(a, train.load(123).unwrap(), "same seed, same bytes");
    assert_ne!(a, val.load(123).unwrap(), "the splits differ");
    assert_ne!(
        a,
        train.load(123 + 20).unwrap(),
        "same class, another image"
    );
    let other = BuiltinSpec {
        seed: 1,
        ..spec.clone()
    }
    .split(Split::Train);
    assert_ne!(a, other.load(123).unwrap(), "another seed");
    // Images use the whole range of colors, not a flat field.
    let (lo, hi) = a
        .as_raw()
        .iter()
        .fold((255u8, 0u8), |(l, h), &v| (l.min(v), h.max(v)));
    assert!(hi - lo > 100, "range {lo}..{hi}");
    let big = BuiltinSpec { size: 64, ..spec }
        .split(Split::Train)
        .load(0)
        .unwrap();
    assert_eq!(big.width(), 64);
}

#[test]
fn builtin_class_limit_is_an_error() {
    let d = DataSection {
        builtin_classes: MAX_CLASSES + 1,
        ..DataSection::default()
    };
    let err = BuiltinSpec::from_config(&d).unwrap_err();
    assert!(
        matches!(err, DataError::TooManyBuiltinClasses { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("at most 128"), "{err}");
}

/// `data.builtin_difficulty` reaches the generator (0 draws other images than the default 0.3,
/// from the same seed) and a value outside [0, 1] is refused by name.
#[test]
fn builtin_difficulty_is_a_config_key() {
    let at = |difficulty: f64| {
        let d = DataSection {
            builtin_difficulty: difficulty,
            ..DataSection::default()
        };
        let spec = BuiltinSpec::from_config(&d).unwrap();
        assert_eq!(spec.difficulty, difficulty as f32);
        spec.split(Split::Train).load(3).unwrap()
    };
    assert_eq!(
        DataSection::default().builtin_difficulty as f32,
        botui::data::builtin::DEFAULT_DIFFICULTY
    );
    assert_ne!(at(0.0).as_raw(), at(0.3).as_raw());
    assert_eq!(at(0.3).as_raw(), at(0.3).as_raw());

    let mut c = RunConfig::default();
    c.data.builtin_difficulty = 1.5;
    let err = c.validate().unwrap_err().to_string();
    assert!(
        err.contains("data.builtin_difficulty") && err.contains("from 0"),
        "{err}"
    );
}

#[test]
fn open_reads_the_config_and_classes_json_round_trips() {
    let config = RunConfig::default();
    let splits = data::open(&config).unwrap();
    assert_eq!(splits.train.len(), 5000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run/classes.json");
    splits.classes.write_json(&path).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let names: Vec<String> = serde_json::from_value(v["classes"].clone()).unwrap();
    assert_eq!(names, splits.classes.names());
    // No temp file is left next to it.
    assert_eq!(
        std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
        1
    );
}
