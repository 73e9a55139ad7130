//! botui's checkpoints: round trips, atomic writes that keep the old file when a save fails,
//! optimizer state that resumes where it stopped, and clear errors for the wrong file.

use std::collections::BTreeMap;
use std::io::Write;

use botui::checkpoint::{
    CheckpointError, load_checkpoint, load_checkpoint_as, load_optimizer_state, save_checkpoint,
    save_optimizer_state, write_atomically,
};
use botui::model::{Model, ModelConfig, ModelName};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig, momentum::MomentumConfig};
use burn::store::{ModuleSnapshot, bridge};
use burn::tensor::{Device, Distribution, Tensor};
use serde_json::json;

fn small(depth: usize) -> ModelConfig {
    ModelConfig::new(ModelName::ResNet(depth), 10, 32)
}

/// Every tensor by module path. Through `valid()`, which syncs the BN running statistics a
/// training forward pass leaves pending (a plain visit reads the last synced value).
fn values(model: &Model) -> BTreeMap<String, Vec<f32>> {
    model
        .valid()
        .collect(None, None, false)
        .into_iter()
        .map(|t| {
            let name = t.name.clone();
            (
                name,
                bridge::into_data(t).unwrap().try_to_vec::<f32>().unwrap(),
            )
        })
        .collect()
}

fn batch(device: &Device) -> Tensor<4> {
    Tensor::random([2, 3, 32, 32], Distribution::Normal(0.0, 1.0), device)
}

#[test]
fn checkpoint_round_trips_weights_config_and_extra() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.bpk");
    let device = Device::flex();
    let mut config = small(18);
    config.zero_gamma = true;
    let model = config.init(&device).unwrap();
    let extra = json!({"epoch": 3, "top1": 0.42});
    save_checkpoint(&path, &model, &config, &extra).unwrap();

    let loaded = load_checkpoint(&path, &device).unwrap();
    assert_eq!(loaded.config, config);
    assert_eq!(loaded.extra, extra);
    assert_eq!(values(&loaded.model), values(&model));
    let x = batch(&device);
    let diff: f32 = (model.valid().forward(x.clone()) - loaded.model.valid().forward(x))
        .abs()
        .max()
        .into_scalar();
    assert_eq!(diff, 0.0);
}

#[test]
fn failed_write_leaves_the_previous_checkpoint_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("last.bpk");
    let device = Device::flex();
    let config = small(18);
    let model = config.init(&device).unwrap();
    save_checkpoint(&path, &model, &config, &json!({"epoch": 1})).unwrap();
    let before = std::fs::read(&path).unwrap();

    // A save that dies halfway, as on a full disk.
    let err = write_atomically(&path, |file| {
        file.write_all(&before[..before.len() / 2])?;
        Err(std::io::Error::other("No space left on device (injected)"))
    })
    .unwrap_err();
    assert!(err.to_string().contains("injected"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let loaded = load_checkpoint(&path, &device).unwrap();
    assert_eq!(loaded.extra, json!({"epoch": 1}));
    assert_eq!(values(&loaded.model), values(&model));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["last.bpk"], "the temporary file is cleaned up");

    // A folder that does not exist: an error naming the file, nothing created.
    let nowhere = dir.path().join("no/such/dir/run.bpk");
    let err = save_checkpoint(&nowhere, &model, &config, &json!(null)).unwrap_err();
    assert!(matches!(err, CheckpointError::Write { .. }), "{err}");
    assert!(err.to_string().contains("no/such/dir/run.bpk"), "{err}");
}

#[test]
fn successful_write_replaces_the_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, "old contents, longer than the new").unwrap();
    write_atomically(&path, |f| f.write_all(b"new")).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
}

#[test]
fn wrong_files_are_clear_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::flex();

    let missing = dir.path().join("missing.bpk");
    let err = load_checkpoint(&missing, &device).unwrap_err();
    assert!(matches!(err, CheckpointError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("missing.bpk"), "{err}");

    let text = dir.path().join("notes.bpk");
    std::fs::write(&text, "just some text, not a checkpoint").unwrap();
    let err = load_checkpoint(&text, &device).unwrap_err();
    assert!(
        matches!(err, CheckpointError::NotACheckpoint { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("notes.bpk"), "{err}");
    let optim = SgdConfig::new().init();
    let model = small(18).init(&device).unwrap();
    let err = load_optimizer_state(&text, optim, &model).err().unwrap();
    assert!(
        matches!(err, CheckpointError::NotOptimizerState { .. }),
        "{err}"
    );

    // A plain burn record has no botui config.
    let record = dir.path().join("plain.bpk");
    model.clone().save_file(&record).unwrap();
    let msg = load_checkpoint(&record, &device).unwrap_err().to_string();
    assert!(
        msg.contains("plain.bpk") && msg.contains("model config"),
        "{msg}"
    );

    // A model checkpoint is not an optimizer state.
    let ckpt = dir.path().join("model.bpk");
    save_checkpoint(&ckpt, &model, &small(18), &json!(null)).unwrap();
    let msg = load_optimizer_state(&ckpt, SgdConfig::new().init(), &model)
        .err()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("model.bpk") && msg.contains("model checkpoint"),
        "{msg}"
    );
}

#[test]
fn other_architecture_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r18.bpk");
    let device = Device::flex();
    let model = small(18).init(&device).unwrap();
    save_checkpoint(&path, &model, &small(18), &json!(null)).unwrap();
    let err = load_checkpoint_as(&path, &small(34), &device).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, CheckpointError::OtherArchitecture { .. }),
        "{msg}"
    );
    assert!(msg.contains("r18.bpk") && msg.contains("resnet18-B") && msg.contains("resnet34-B"));
    assert!(load_checkpoint_as(&path, &small(18), &device).is_ok());

    // Weights that do not fit the config saved with them (a resnet34 labelled resnet18).
    let bad = dir.path().join("mislabelled.bpk");
    let r34 = small(34).init(&device).unwrap();
    save_checkpoint(&bad, &r34, &small(18), &json!(null)).unwrap();
    let msg = load_checkpoint(&bad, &device).unwrap_err().to_string();
    assert!(msg.contains("mislabelled.bpk"), "{msg}");
    assert!(
        msg.contains("not in the model: ResNet.layer1.2.Basic.conv1.weight"),
        "{msg}"
    );
}

/// One SGD step with momentum on a fixed batch; returns the updated model.
fn sgd_step(model: Model, optim: &mut ModuleOptimizer, x: Tensor<4>) -> Model {
    let loss = model.forward(x).powf_scalar(2.0).mean();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    optim.step(0.1, model, grads)
}

fn momentum_sgd() -> ModuleOptimizer {
    SgdConfig::new()
        .with_momentum(Some(MomentumConfig::new().with_dampening(0.0)))
        .init()
}

#[test]
fn optimizer_state_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let (model_path, optim_path) = (dir.path().join("m.bpk"), dir.path().join("m.optim.bpk"));
    let device = Device::flex().autodiff();
    let config = small(18);
    let x = batch(&device);
    let mut optim = momentum_sgd();
    let model = sgd_step(config.init(&device).unwrap(), &mut optim, x.clone());
    save_checkpoint(&model_path, &model, &config, &json!(null)).unwrap();
    save_optimizer_state(&optim_path, &optim).unwrap();

    // Uninterrupted: a second step with the momentum of the first.
    let continued = sgd_step(model, &mut optim, x.clone());
    // Resumed from disk.
    let resumed = load_checkpoint(&model_path, &device).unwrap().model;
    let mut optim2 = load_optimizer_state(&optim_path, momentum_sgd(), &resumed)
        .unwrap_or_else(|e| panic!("{e}"));
    let resumed = sgd_step(resumed, &mut optim2, x.clone());
    // Restarted without the optimizer state: momentum lost, so the step differs.
    let restarted = load_checkpoint(&model_path, &device).unwrap().model;
    let restarted = sgd_step(restarted, &mut momentum_sgd(), x);

    let (a, b, c) = (values(&continued), values(&resumed), values(&restarted));
    let max_diff = |p: &BTreeMap<String, Vec<f32>>, q: &BTreeMap<String, Vec<f32>>| {
        p.iter()
            .flat_map(|(k, v)| v.iter().zip(&q[k]).map(|(x, y)| (x - y).abs()))
            .fold(0f32, f32::max)
    };
    assert!(
        max_diff(&a, &b) < 1e-5,
        "resumed differs by {}",
        max_diff(&a, &b)
    );
    assert!(
        max_diff(&a, &c) > 1e-3,
        "the test cannot tell momentum from none"
    );

    // The state of one model does not load against another.
    let other = config.init(&device).unwrap();
    let err = load_optimizer_state(&optim_path, momentum_sgd(), &other)
        .err()
        .unwrap();
    assert!(
        matches!(err, CheckpointError::OptimizerMismatch { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("m.optim.bpk"), "{err}");
}
