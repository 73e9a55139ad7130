//! Tricks the training recipes since the paper added (timm's "ResNet strikes back", 2021;
//! FFCV; the CIFAR-10 speed records), each with its source. Shown as the second group of the
//! checklist. Their config sections are [`crate::config::after_paper_sections`].
//!
//! A new trick is one [`TrickDef`] here (its config section, switch, parameters and gain) plus
//! its engine code; every view reads it from the registry. None has a published gain yet: the
//! sources report whole recipes (RSB's A1-A3, FFCV's schedules), not one trick added to a row.

use super::def::{Group, Scope, Short, Switch, TrickDef};
use super::param::{ParamDef, Step};
use crate::model::MIN_INPUT;

const UNBOUNDED: f64 = f64::INFINITY;

const fn add(key: &'static str, label: &'static str, delta: f64, min: f64, max: f64) -> ParamDef {
    ParamDef {
        key,
        label,
        step: Step::Add { delta, min, max },
        placeholder: "",
    }
}

const fn typed(key: &'static str, label: &'static str) -> ParamDef {
    ParamDef {
        key,
        label,
        step: Step::Typed,
        placeholder: "",
    }
}

pub static TRICKS: &[TrickDef] = &[
    TrickDef {
        name: "cutmix",
        label: "CutMix",
        group: Group::AfterPaper,
        source: "Yun et al. 2019; RSB",
        summary: "paste a box of another image; lambda = the box's true area; with mixup, timm's per-batch switch.",
        switch: Switch::Flag("cutmix.enabled"),
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[
            add("cutmix.alpha", "alpha", 0.1, 0.1, UNBOUNDED),
            add("cutmix.probability", "probability", 0.1, 0.0, 1.0),
            add(
                "cutmix.switch_probability",
                "switch probability",
                0.1,
                0.0,
                1.0,
            ),
        ],
        gain: |_| None,
    },
    TrickDef {
        name: "ema",
        label: "EMA of weights",
        group: Group::AfterPaper,
        source: "timm ModelEmaV3",
        summary: "a moving average of the weights, validated beside them (both top-1s logged).",
        switch: Switch::Flag("ema.enabled"),
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[
            add("ema.decay", "decay", 0.0001, 0.9, 0.99999),
            typed("ema.warmup", "warm-up"),
        ],
        gain: |_| None,
    },
    TrickDef {
        name: "stochastic-depth",
        label: "stochastic depth",
        group: Group::AfterPaper,
        source: "Huang et al. 2016; RSB",
        summary: "residual branches dropped per sample, the rate rising linearly with depth.",
        switch: Switch::Flag("stochastic_depth.enabled"),
        scope: Scope::ResNets,
        short: Short::Name,
        params: &[add("stochastic_depth.rate", "rate", 0.05, 0.0, 0.95)],
        gain: |_| None,
    },
    TrickDef {
        name: "randaugment",
        label: "RandAugment",
        group: Group::AfterPaper,
        source: "Cubuk et al. 2020; RSB",
        summary: "timm's rand-m7-mstd0.5-inc1: 2 random operations per image on the 8-bit crop.",
        switch: Switch::Flag("randaugment.enabled"),
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[
            add("randaugment.layers", "operations", 1.0, 1.0, 4.0),
            add("randaugment.magnitude", "magnitude", 1.0, 0.0, 10.0),
            add(
                "randaugment.magnitude_std",
                "magnitude std",
                0.5,
                0.0,
                UNBOUNDED,
            ),
        ],
        gain: |_| None,
    },
    TrickDef {
        name: "repeated-augment",
        label: "repeated augmentation",
        group: Group::AfterPaper,
        source: "Hoffer et al. 2020; RSB",
        summary: "each image several times per epoch, each copy augmented on its own.",
        switch: Switch::Flag("repeated_augment.enabled"),
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[add("repeated_augment.repeats", "copies", 1.0, 2.0, 16.0)],
        gain: |_| None,
    },
    TrickDef {
        name: "progressive-resize",
        label: "progressive resizing",
        group: Group::AfterPaper,
        source: "FFCV ImageNet",
        summary: "the training side rises linearly between two epochs, in steps of 32 pixels.",
        switch: Switch::Flag("progressive_resize.enabled"),
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[
            add(
                "progressive_resize.min_side",
                "from side",
                32.0,
                MIN_INPUT as f64,
                UNBOUNDED,
            ),
            add(
                "progressive_resize.max_side",
                "to side",
                32.0,
                MIN_INPUT as f64,
                UNBOUNDED,
            ),
            add(
                "progressive_resize.start_epoch",
                "from epoch",
                1.0,
                0.0,
                UNBOUNDED,
            ),
            add(
                "progressive_resize.end_epoch",
                "to epoch",
                1.0,
                0.0,
                UNBOUNDED,
            ),
        ],
        gain: |_| None,
    },
    TrickDef {
        name: "tta",
        label: "flip TTA",
        group: Group::AfterPaper,
        source: "FFCV ImageNet",
        summary: "validation averages the logits of each image and its mirror.",
        switch: Switch::Flag("tta.enabled"),
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[],
        gain: |_| None,
    },
    TrickDef {
        name: "bce",
        label: "BCE loss",
        group: Group::AfterPaper,
        source: "RSB Sec. 3",
        summary: "binary cross-entropy per class (loss.target_threshold binarizes the targets).",
        switch: Switch::Choice {
            key: "loss.kind",
            on: &["bce"],
            off: "cross_entropy",
        },
        scope: Scope::AnyModel,
        short: Short::Name,
        params: &[],
        gain: |_| None,
    },
    TrickDef {
        name: "adaptive-optimizer",
        label: "LAMB / AdamW",
        group: Group::AfterPaper,
        source: "RSB A1-A3 (LAMB); Loshchilov & Hutter 2019",
        summary: "timm's Lamb (global grad-norm clip 1) or torch's AdamW instead of NAG.",
        switch: Switch::Choice {
            key: "optimizer.kind",
            on: &["lamb", "adamw"],
            off: "nag",
        },
        scope: Scope::AnyModel,
        short: Short::Value {
            prefix: "",
            key: "optimizer.kind",
        },
        params: &[
            ParamDef {
                key: "optimizer.kind",
                label: "optimizer",
                step: Step::Cycle(&["lamb", "adamw"]),
                placeholder: "",
            },
            typed("optimizer.weight_decay", "weight decay"),
        ],
        gain: |_| None,
    },
];
