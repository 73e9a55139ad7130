//! timm's names for MobileNet v1 (`timm.create_model("mobilenetv1_100")`, an `EfficientNet`
//! built from `dsa` blocks):
//!
//! | botui                             | timm                         |
//! |-----------------------------------|------------------------------|
//! | `conv1.conv` / `conv1.bn`         | `conv_stem` / `bn1`          |
//! | `blocks.I.dw.conv` / `dw.bn`      | `blocks.S.J.conv_dw` / `bn1` |
//! | `blocks.I.pw.conv` / `pw.bn`      | `blocks.S.J.conv_pw` / `bn2` |
//! | `fc`                              | `classifier`                 |
//!
//! timm groups the 13 blocks into stages that each start with a stride-2 block (1, 2, 2, 6
//! and 2 blocks): botui's block `I` is timm's block `J` of stage `S`.

use crate::model::mobilenet::BLOCKS;

/// The key that marks a timm MobileNet v1 state dict.
pub(super) const ANCHOR: &str = "blocks.0.0.conv_dw.weight";

/// The timm module of a botui MobileNet module path (without the parameter name).
pub(super) fn torch_module(parts: &[&str]) -> Option<String> {
    Some(match parts {
        ["MobileNet", "conv1", "conv"] => "conv_stem".into(),
        ["MobileNet", "conv1", "bn"] => "bn1".into(),
        ["MobileNet", "blocks", index, unit, layer] => {
            let (stage, j) = stage_and_index(index.parse().ok()?)?;
            let name = match (*unit, *layer) {
                ("dw", "conv") => "conv_dw",
                ("dw", "bn") => "bn1",
                ("pw", "conv") => "conv_pw",
                ("pw", "bn") => "bn2",
                _ => return None,
            };
            format!("blocks.{stage}.{j}.{name}")
        }
        ["MobileNet", "fc"] => "classifier".into(),
        _ => return None,
    })
}

/// Block `i` (0-based) -> (timm stage, index in the stage): a stride-2 block starts a stage.
fn stage_and_index(i: usize) -> Option<(usize, usize)> {
    if i >= BLOCKS.len() {
        return None;
    }
    let (mut stage, mut start) = (0, 0);
    for (j, &(_, stride)) in BLOCKS.iter().enumerate().take(i + 1).skip(1) {
        if stride == 2 {
            stage += 1;
            start = j;
        }
    }
    Some((stage, i - start))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// timm's `mobilenetv1_100` has stages of 1, 2, 2, 6 and 2 blocks.
    #[test]
    fn blocks_fall_into_timms_stages() {
        let expected = [
            (0, 0),
            (1, 0),
            (1, 1),
            (2, 0),
            (2, 1),
            (3, 0),
            (3, 1),
            (3, 2),
            (3, 3),
            (3, 4),
            (3, 5),
            (4, 0),
            (4, 1),
        ];
        for (i, want) in expected.into_iter().enumerate() {
            assert_eq!(stage_and_index(i), Some(want), "block {i}");
        }
        assert_eq!(stage_and_index(13), None);
    }

    /// Pairs written out by hand from `timm.create_model("mobilenetv1_100").state_dict()`.
    #[test]
    fn timm_names() {
        let cases = [
            (&["MobileNet", "conv1", "conv"][..], "conv_stem"),
            (&["MobileNet", "conv1", "bn"], "bn1"),
            (
                &["MobileNet", "blocks", "0", "dw", "conv"],
                "blocks.0.0.conv_dw",
            ),
            (&["MobileNet", "blocks", "2", "dw", "bn"], "blocks.1.1.bn1"),
            (
                &["MobileNet", "blocks", "10", "pw", "conv"],
                "blocks.3.5.conv_pw",
            ),
            (&["MobileNet", "blocks", "12", "pw", "bn"], "blocks.4.1.bn2"),
            (&["MobileNet", "fc"], "classifier"),
        ];
        for (parts, torch) in cases {
            assert_eq!(torch_module(parts).as_deref(), Some(torch), "{parts:?}");
        }
        assert_eq!(
            torch_module(&["MobileNet", "blocks", "13", "dw", "conv"]),
            None
        );
        assert_eq!(torch_module(&["ResNet", "fc"]), None);
    }
}
