//! Every rank must train the same run: rank 0 publishes its config, the others compare a hash of
//! it with their own and, when they differ, name the first key that does.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// A config as every rank serializes it: canonical JSON (keys sorted) and its SHA-256.
pub struct Fingerprint {
    pub json: String,
    pub hash: String,
}

impl Fingerprint {
    pub fn of(config: &impl serde::Serialize) -> Fingerprint {
        // serde_json's Map is a BTreeMap here (no preserve_order feature): keys come out sorted.
        let value = serde_json::to_value(config).expect("a run config serializes");
        let json = value.to_string();
        let hash = Sha256::digest(json.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Fingerprint { json, hash }
    }
}

/// The keys whose values differ, as `(key, ours, theirs)`, in key order.
pub fn differing_keys(ours: &str, theirs: &str) -> Vec<(String, String, String)> {
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    let mut a = Vec::new();
    let mut b = Vec::new();
    flatten("", &parse(ours), &mut a);
    flatten("", &parse(theirs), &mut b);
    let mut keys: Vec<&String> = a.iter().chain(&b).map(|(k, _)| k).collect();
    keys.sort();
    keys.dedup();
    let find = |list: &[(String, String)], key: &str| {
        list.iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| "(absent)".to_string(), |(_, v)| v.clone())
    };
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (find(&a, k), find(&b, k));
            (x != y).then(|| (k.clone(), x, y))
        })
        .collect()
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RunConfig;

    #[test]
    fn equal_configs_hash_alike() {
        let a = Fingerprint::of(&RunConfig::default());
        let b = Fingerprint::of(&RunConfig::default());
        assert_eq!(a.hash, b.hash);
        assert_eq!(a.hash.len(), 64);
        assert!(differing_keys(&a.json, &b.json).is_empty());
    }

    #[test]
    fn a_difference_is_named_by_its_dotted_key() {
        let a = RunConfig::default();
        let mut b = a.clone();
        b.batch_size = 64;
        b.warmup.enabled = !a.warmup.enabled;
        let (fa, fb) = (Fingerprint::of(&a), Fingerprint::of(&b));
        assert_ne!(fa.hash, fb.hash);
        let diff = differing_keys(&fa.json, &fb.json);
        let keys: Vec<&str> = diff.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(keys, ["batch_size", "warmup.enabled"]);
        assert_eq!((diff[0].1.as_str(), diff[0].2.as_str()), ("256", "64"));
    }
}
