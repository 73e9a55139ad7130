//! The paper's tricks (He et al., 2018, Sections 3-5), in the order it adds them.

use super::def::{Group, Scope, Short, Switch, TrickDef};
use super::paper_tables::{self as tables, table4, table6};
use super::param::{ParamDef, Step};

const UNBOUNDED: f64 = f64::INFINITY;

pub static TRICKS: &[TrickDef] = &[
    TrickDef {
        name: "linear-scaling",
        label: "linear scaling",
        group: Group::Paper,
        source: "Sec. 3.1",
        summary: "lr = 0.1 x batch / 256, so a bigger batch takes bigger steps.",
        switch: Switch::Flag("linear_scaling.enabled"),
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[ParamDef {
            key: "linear_scaling.reference_batch",
            label: "reference batch",
            step: Step::Double { min: 1.0 },
            placeholder: "",
        }],
        gain: tables::linear_scaling,
    },
    TrickDef {
        name: "warmup",
        label: "lr warmup",
        group: Group::Paper,
        source: "Sec. 3.1",
        summary: "the lr rises linearly from 0 over the first epochs (5 in the paper).",
        switch: Switch::Flag("warmup.enabled"),
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[ParamDef {
            key: "warmup.epochs",
            label: "epochs",
            step: Step::Add {
                delta: 1.0,
                min: 0.0,
                max: UNBOUNDED,
            },
            placeholder: "",
        }],
        gain: |c| Some(table4(1, c)),
    },
    TrickDef {
        name: "zero-gamma",
        label: "zero gamma",
        group: Group::Paper,
        source: "Sec. 3.1",
        summary: "gamma = 0 in the last BN of every residual block: blocks start as identity.",
        switch: Switch::Flag("zero_gamma.enabled"),
        scope: Scope::ResNets,
        short: Short::Name,
        params: &[],
        gain: |c| Some(table4(2, c)),
    },
    TrickDef {
        name: "no-bias-decay",
        label: "no bias decay",
        group: Group::Paper,
        source: "Sec. 3.1",
        summary: "weight decay on conv and FC weights only; biases and BN gamma/beta get none.",
        switch: Switch::Flag("no_bias_decay.enabled"),
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[],
        gain: |c| Some(table4(3, c)),
    },
    TrickDef {
        name: "low-precision",
        label: "low precision",
        group: Group::Paper,
        source: "Sec. 3.2",
        summary: "FP16 compute with an FP32 master copy of the weights and loss scaling.",
        switch: Switch::Flag("low_precision.enabled"),
        scope: Scope::AnyModel,
        short: Short::Value {
            prefix: "",
            key: "low_precision.dtype",
        },
        params: &[
            ParamDef {
                key: "low_precision.dtype",
                label: "dtype",
                step: Step::Cycle(&["fp16", "bf16"]),
                placeholder: "",
            },
            ParamDef {
                key: "low_precision.loss_scale",
                label: "loss scale",
                step: Step::Double { min: 1.0 },
                placeholder: "",
            },
        ],
        gain: |c| Some(table4(4, c)),
    },
    TrickDef {
        name: "resnet-tweak",
        label: "ResNet tweak",
        group: Group::Paper,
        source: "Sec. 4",
        summary: "B strides in the 3x3 conv, C adds a deep 3x3 stem, D an avg-pool shortcut.",
        // Off is ResNet-A; on is the paper's best, D.
        switch: Switch::Choice {
            key: "model.variant",
            on: &["D", "B", "C"],
            off: "A",
        },
        scope: Scope::ResNets,
        short: Short::Value {
            prefix: "resnet-",
            key: "model.variant",
        },
        params: &[ParamDef {
            key: "model.variant",
            label: "variant",
            step: Step::Cycle(&["B", "C", "D"]),
            placeholder: "",
        }],
        gain: tables::resnet_tweak,
    },
    TrickDef {
        name: "cosine",
        label: "cosine decay",
        group: Group::Paper,
        source: "Sec. 5.1",
        summary: "lr = 0.5 (1 + cos(t pi / T)) lr0 per iteration, warmup excluded.",
        // Off is the baseline's step decay.
        switch: Switch::Choice {
            key: "schedule.decay",
            on: &["cosine"],
            off: "step",
        },
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[],
        gain: |c| table6(1, 0, c),
    },
    TrickDef {
        name: "label-smoothing",
        label: "label smoothing",
        group: Group::Paper,
        source: "Sec. 5.2",
        summary: "target 1 - eps for the true class, eps / (K - 1) for the others.",
        switch: Switch::Flag("label_smoothing.enabled"),
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[
            ParamDef {
                key: "label_smoothing.epsilon",
                label: "epsilon",
                step: Step::Add {
                    delta: 0.05,
                    min: 0.0,
                    max: 0.95,
                },
                placeholder: "",
            },
            ParamDef {
                key: "label_smoothing.formula",
                label: "formula",
                step: Step::Cycle(&["paper", "uniform"]),
                placeholder: "",
            },
        ],
        gain: |c| table6(2, 1, c),
    },
    TrickDef {
        name: "distill",
        label: "distillation",
        group: Group::Paper,
        source: "Sec. 5.3",
        summary: "CE plus T^2 x KD to a teacher's softened outputs (T = 20, ResNet-152-D).",
        switch: Switch::Flag("distillation.enabled"),
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[
            ParamDef {
                key: "distillation.teacher",
                label: "teacher",
                step: Step::Typed,
                placeholder: "(none: enter to set)",
            },
            ParamDef {
                key: "distillation.temperature",
                label: "temperature T",
                step: Step::Add {
                    delta: 1.0,
                    min: 1.0,
                    max: UNBOUNDED,
                },
                placeholder: "",
            },
            ParamDef {
                key: "distillation.hard_weight",
                label: "hard weight w",
                step: Step::Add {
                    delta: 0.1,
                    min: 0.0,
                    max: 1.0,
                },
                placeholder: "",
            },
        ],
        gain: tables::distillation,
    },
    TrickDef {
        name: "mixup",
        label: "mixup",
        group: Group::Paper,
        source: "Sec. 5.4",
        summary: "x = lam x_i + (1 - lam) x_j, lam ~ Beta(0.2, 0.2); train 200 epochs.",
        switch: Switch::Flag("mixup.enabled"),
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[
            ParamDef {
                key: "mixup.alpha",
                label: "alpha",
                step: Step::Add {
                    delta: 0.1,
                    min: 0.1,
                    max: UNBOUNDED,
                },
                placeholder: "",
            },
            ParamDef {
                key: "mixup.off_epochs",
                label: "off epochs",
                step: Step::Add {
                    delta: 1.0,
                    min: 0.0,
                    max: UNBOUNDED,
                },
                placeholder: "",
            },
        ],
        gain: tables::mixup,
    },
];
