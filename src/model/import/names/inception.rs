//! torchvision's (and timm's, which are the same) names for Inception-V3: botui's fields are
//! torchvision's in snake case, so only the first letter of the top-level module changes
//! (`conv2d_1a_3x3.conv` -> `Conv2d_1a_3x3.conv`, `mixed_5b.branch1x1.bn` ->
//! `Mixed_5b.branch1x1.bn`; `fc` stays). The auxiliary classifier (`AuxLogits`) is not built,
//! so a state dict must come from `inception_v3(aux_logits=False)`.

/// The key that marks an Inception-V3 state dict.
pub(super) const ANCHOR: &str = "Conv2d_1a_3x3.conv.weight";

/// The PyTorch module of a botui Inception-V3 module path (without the parameter name).
pub(super) fn torch_module(parts: &[&str]) -> Option<String> {
    let is_unit = |s: &str| s == "conv" || s == "bn";
    Some(match parts {
        ["InceptionV3", "fc"] => "fc".into(),
        ["InceptionV3", top, unit] if is_unit(unit) => {
            format!("{}.{unit}", capitalized(top, "conv2d_")?)
        }
        ["InceptionV3", top, branch, unit] if is_unit(unit) && branch.starts_with("branch") => {
            format!("{}.{branch}.{unit}", capitalized(top, "mixed_")?)
        }
        _ => return None,
    })
}

/// `conv2d_1a_3x3` -> `Conv2d_1a_3x3` when `name` starts with `prefix`.
fn capitalized(name: &str, prefix: &str) -> Option<String> {
    let rest = name.strip_prefix(prefix)?;
    let mut head = prefix.to_string();
    head[..1].make_ascii_uppercase();
    Some(head + rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs written out by hand from `torchvision.models.inception_v3(aux_logits=False)`.
    #[test]
    fn torchvision_names() {
        let cases = [
            (
                &["InceptionV3", "conv2d_1a_3x3", "conv"][..],
                "Conv2d_1a_3x3.conv",
            ),
            (&["InceptionV3", "conv2d_4a_3x3", "bn"], "Conv2d_4a_3x3.bn"),
            (
                &["InceptionV3", "mixed_5b", "branch1x1", "conv"],
                "Mixed_5b.branch1x1.conv",
            ),
            (
                &["InceptionV3", "mixed_7c", "branch3x3dbl_3b", "bn"],
                "Mixed_7c.branch3x3dbl_3b.bn",
            ),
            (&["InceptionV3", "fc"], "fc"),
        ];
        for (parts, torch) in cases {
            assert_eq!(torch_module(parts).as_deref(), Some(torch), "{parts:?}");
        }
        assert_eq!(torch_module(&["InceptionV3", "mixed_5b", "conv"]), None);
        assert_eq!(torch_module(&["InceptionV3", "dropout"]), None);
    }
}
