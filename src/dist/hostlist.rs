//! Slurm's compressed host lists (`SLURM_JOB_NODELIST=gpu[01-04,07],login1`): the first host of
//! a step's node list is where rank 0 runs, so it hosts the rendezvous.
//!
//! Syntax, as `scontrol show hostnames` reads it: hosts separated by commas outside brackets;
//! each bracket holds comma-separated numbers or `lo-hi` ranges; a range keeps the zero padding
//! of its lower bound (`[008-010]` is 008, 009, 010); several brackets in one name expand as a
//! product, leftmost slowest (`r[1-2]n[1-2]` is r1n1, r1n2, r2n1, r2n2).

/// A host list that does not follow the syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad Slurm host list '{list}': {why}")]
pub struct HostListError {
    pub list: String,
    pub why: String,
}

/// More hosts than any cluster has: a typo like `[1-99999999]` fails instead of allocating.
const MAX_HOSTS: usize = 1 << 20;

/// Every host of `list`, in order.
pub fn expand(list: &str) -> Result<Vec<String>, HostListError> {
    let fail = |why: String| HostListError {
        list: list.to_string(),
        why,
    };
    let mut hosts = Vec::new();
    for item in split_top_level(list).map_err(fail)? {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let mut names = vec![String::new()];
        let mut rest = item;
        while !rest.is_empty() {
            match rest.find('[') {
                None => {
                    for n in &mut names {
                        n.push_str(rest);
                    }
                    rest = "";
                }
                Some(open) => {
                    let close = rest[open..]
                        .find(']')
                        .map(|c| open + c)
                        .ok_or_else(|| fail(format!("'[' without ']' in '{item}'")))?;
                    let prefix = &rest[..open];
                    let numbers = bracket(&rest[open + 1..close]).map_err(fail)?;
                    if names.len().saturating_mul(numbers.len()) + hosts.len() > MAX_HOSTS {
                        return Err(fail(format!("more than {MAX_HOSTS} hosts")));
                    }
                    names = names
                        .iter()
                        .flat_map(|n| numbers.iter().map(move |k| format!("{n}{prefix}{k}")))
                        .collect();
                    rest = &rest[close + 1..];
                }
            }
        }
        if let Some(bad) = names.iter().find(|n| n.contains(']')) {
            return Err(fail(format!("']' without '[' in '{bad}'")));
        }
        hosts.extend(names);
    }
    if hosts.is_empty() {
        return Err(fail("no host in it".into()));
    }
    Ok(hosts)
}

/// The first host of `list` (rank 0's node).
pub fn first_host(list: &str) -> Result<String, HostListError> {
    // Only the first item needs expanding; the rest is still checked for balance.
    let first = split_top_level(list)
        .map_err(|why| HostListError {
            list: list.to_string(),
            why,
        })?
        .into_iter()
        .find(|i| !i.trim().is_empty())
        .unwrap_or_default();
    let hosts = expand(first).map_err(|e| HostListError {
        list: list.to_string(),
        why: e.why,
    })?;
    Ok(hosts
        .into_iter()
        .next()
        .expect("expand returns at least one host"))
}

/// Splits on the commas outside brackets.
fn split_top_level(list: &str) -> Result<Vec<&str>, String> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in list.char_indices() {
        match c {
            '[' if depth > 0 => return Err("nested '['".into()),
            '[' => depth = 1,
            ']' if depth == 0 => return Err("']' without '['".into()),
            ']' => depth = 0,
            ',' if depth == 0 => {
                items.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err("'[' without ']'".into());
    }
    items.push(&list[start..]);
    Ok(items)
}

/// `01-04,07` -> 01, 02, 03, 04, 07.
fn bracket(inside: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for part in inside.split(',') {
        let part = part.trim();
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        let number = |s: &str| {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                Err(format!(
                    "'{part}' in '[{inside}]' is not a number or a range lo-hi"
                ))
            } else {
                s.parse::<u64>()
                    .map_err(|_| format!("'{s}' in '[{inside}]' is too large"))
            }
        };
        let (a, b) = (number(lo)?, number(hi)?);
        if b < a {
            return Err(format!("range '{part}' runs backwards"));
        }
        if (b - a) as usize >= MAX_HOSTS {
            return Err(format!("range '{part}' has more than {MAX_HOSTS} hosts"));
        }
        let width = lo.len();
        out.extend((a..=b).map(|k| format!("{k:0width$}")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(list: &str) -> Vec<String> {
        expand(list).unwrap()
    }

    #[test]
    fn plain_names_and_commas() {
        assert_eq!(hosts("login1"), ["login1"]);
        assert_eq!(hosts("a,b,c"), ["a", "b", "c"]);
    }

    #[test]
    fn ranges_keep_the_padding_of_their_lower_bound() {
        assert_eq!(
            hosts("node[01-04,07]"),
            ["node01", "node02", "node03", "node04", "node07"]
        );
        assert_eq!(hosts("n[008-010]"), ["n008", "n009", "n010"]);
        assert_eq!(hosts("n[9-11]"), ["n9", "n10", "n11"]);
    }

    #[test]
    fn several_items_and_suffixes() {
        assert_eq!(
            hosts("gpu[1-2]-ib,cpu[3],login"),
            ["gpu1-ib", "gpu2-ib", "cpu3", "login"]
        );
    }

    #[test]
    fn several_brackets_expand_as_a_product() {
        assert_eq!(hosts("r[1-2]n[1-2]"), ["r1n1", "r1n2", "r2n1", "r2n2"]);
    }

    #[test]
    fn first_host_of_a_long_list() {
        assert_eq!(first_host("node[01-04,07]").unwrap(), "node01");
        assert_eq!(first_host("big[0000-9999],x").unwrap(), "big0000");
        assert_eq!(first_host("gpu-a100-[3,5]").unwrap(), "gpu-a100-3");
    }

    #[test]
    fn malformed_lists_say_what_is_wrong() {
        for (list, needle) in [
            ("node[01-04", "without ']'"),
            ("node01-04]", "without '['"),
            ("node[a-b]", "not a number"),
            ("node[4-1]", "backwards"),
            ("n[[1]]", "nested"),
            ("", "no host"),
        ] {
            let err = expand(list).unwrap_err().to_string();
            assert!(err.contains(needle), "{list}: {err}");
            assert!(err.contains(&format!("'{list}'")), "{list}: {err}");
        }
    }
}
