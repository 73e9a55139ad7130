//! No two files in `src/` import each other. Reads every source file, resolves its `use`
//! declarations and its `crate::`, `super::`, `self::` and `botui::` paths to the file that
//! defines what they name (following `pub use` re-exports), and fails on every pair of files
//! with an edge each way. Comments and string literals are skipped; so are `mod` declarations
//! and inline `#[cfg(test)]` modules (a unit test may use a neighbour of the file it tests).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Marks an inline `#[cfg(test)]` module in the stack [`inline_at`] returns.
const TEST: &str = "#test:";

/// A module path from a crate root (`["config", "tricks"]`), with its crate: "lib" or "bin".
type ModPath = (String, Vec<String>);

struct Module {
    file: PathBuf,
    /// Code with comments and string literals blanked out.
    code: String,
}

/// Blanks comments, string and char literals (keeping newlines), so that only code remains.
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied().unwrap_or('\0');
        if c == '/' && next == '/' {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == '*' {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if b[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == '"' || next == '#')
            && !b[i.saturating_sub(1)].is_alphanumeric()
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|h| b.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                if b[j] == '\n' {
                    out.push('\n');
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                } else if b[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\''
            && (b.get(i + 2) == Some(&'\'') || (next == '\\' && b.get(i + 3) == Some(&'\'')))
        {
            // A char literal ('"', '\''); a lifetime has no closing quote two chars on.
            i += if next == '\\' { 4 } else { 3 };
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn modules(root: &Path) -> BTreeMap<ModPath, Module> {
    let src = root.join("src");
    let main = std::fs::read_to_string(src.join("main.rs")).unwrap();
    let bin_roots: Vec<String> = main
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod "))
        .map(|m| m.trim_end_matches(';').trim().to_string())
        .collect();
    let mut out = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            let krate = match parts.first().map(String::as_str) {
                Some("main") => {
                    parts.clear();
                    "bin"
                }
                Some("lib") => {
                    parts.clear();
                    "lib"
                }
                Some(first) if bin_roots.iter().any(|r| r == first) => "bin",
                _ => "lib",
            };
            let code = strip(&std::fs::read_to_string(&path).unwrap());
            out.insert((krate.to_string(), parts), Module { file: path, code });
        }
    }
    out
}

/// The leaves of a use tree (`a::{b, c::d as e}` -> `a::b`, `a::c::d`), as segment lists.
fn use_leaves(tree: &str) -> Vec<Vec<String>> {
    fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        let tree = tree.trim();
        if tree.is_empty() {
            return;
        }
        if let Some(open) = tree.find('{') {
            let head: Vec<String> = tree[..open]
                .split("::")
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            let inner = &tree[open + 1..tree.rfind('}').unwrap()];
            let mut depth = 0;
            let mut start = 0;
            let mut prefix = prefix.to_vec();
            prefix.extend(head);
            for (i, ch) in inner.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&prefix, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(&prefix, &inner[start..], out);
        } else {
            let path = tree.split(" as ").next().unwrap();
            let mut leaf = prefix.to_vec();
            leaf.extend(path.split("::").map(|s| s.trim().to_string()));
            if leaf.last().is_some_and(|s| s == "self") {
                leaf.pop();
            }
            out.push(leaf);
        }
    }
    let mut out = Vec::new();
    expand(&[], tree, &mut out);
    out
}

/// Every use statement of a file with the inline modules it sits in, and whether it is `pub`.
fn uses(code: &str) -> Vec<(Vec<String>, bool, String)> {
    let mut out = Vec::new();
    let mut stmt_start = 0;
    let mut i = 0;
    while i < code.len() {
        match code.as_bytes()[i] {
            b'{' | b'}' | b';' => stmt_start = i + 1,
            b'u' if code[i..].starts_with("use")
                && find_word(&code[i..i + 3], "use") == Some(0) =>
            {
                let boundary =
                    |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
                let head = code[stmt_start..i].trim();
                let statement =
                    head.is_empty() || head.starts_with("pub") || head.starts_with("#[");
                if statement
                    && boundary(code[..i].chars().last())
                    && boundary(code[i + 3..].chars().next())
                {
                    let end = i + code[i..].find(';').unwrap();
                    let tree = code[i + 3..end].trim().to_string();
                    out.push((inline_at(code, i), head.contains("pub"), tree));
                    i = end;
                    stmt_start = end + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The inline modules (`mod tests { ... }`) around byte `at`.
fn inline_at(code: &str, at: usize) -> Vec<String> {
    let mut inline: Vec<(String, i32)> = Vec::new();
    let mut depth = 0;
    let mut stmt_start = 0;
    for (i, b) in code[..at].bytes().enumerate() {
        match b {
            b'{' => {
                let head = code[stmt_start..i].trim();
                if let Some(p) = find_word(head, "mod") {
                    let name = head[p + 3..].trim();
                    // Unit tests may reach across files: their module is marked and skipped.
                    let name = if head.contains("#[cfg(test)]") {
                        format!("{TEST}{name}")
                    } else {
                        name.to_string()
                    };
                    inline.push((name, depth));
                }
                depth += 1;
                stmt_start = i + 1;
            }
            b'}' => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                stmt_start = i + 1;
            }
            b';' => stmt_start = i + 1,
            _ => {}
        }
    }
    inline.into_iter().map(|(n, _)| n).collect()
}

/// Where `word` stands alone in `s`.
fn find_word(s: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find(word) {
        let at = from + i;
        let before = s[..at].chars().last();
        let after = s[at + word.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if edge(before) && edge(after) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

struct Graph {
    modules: BTreeMap<ModPath, Module>,
}

impl Graph {
    /// Makes `path` absolute from module `here` (with its inline modules): `None` for an
    /// external crate.
    fn absolute(&self, here: &ModPath, inline: &[String], path: &[String]) -> Option<ModPath> {
        let (krate, mut module) = here.clone();
        module.extend(inline.iter().cloned());
        let mut rest = path;
        match rest.first().map(String::as_str) {
            Some("crate") => {
                module.clear();
                rest = &rest[1..];
            }
            Some("botui") => return Some(("lib".into(), rest[1..].to_vec())),
            Some("self") => rest = &rest[1..],
            Some("super") => {
                while rest.first().is_some_and(|s| s == "super") {
                    module.pop();
                    rest = &rest[1..];
                }
            }
            Some(first) => {
                let mut child = module.clone();
                child.push(first.to_string());
                if !self.modules.contains_key(&(krate.clone(), child)) {
                    return None; // std, burn, ...
                }
            }
            None => return None,
        }
        module.extend(rest.iter().cloned());
        Some((krate, module))
    }

    /// The file that defines what an absolute path names, following re-exports.
    fn resolve(&self, path: &ModPath, hops: usize) -> Option<&Path> {
        let (krate, segs) = path;
        let mut len = segs.len();
        while !self
            .modules
            .contains_key(&(krate.clone(), segs[..len].to_vec()))
        {
            len -= 1;
        }
        let key = (krate.clone(), segs[..len].to_vec());
        let module = &self.modules[&key];
        let Some(item) = segs.get(len) else {
            return Some(&module.file);
        };
        if hops < 8 {
            for (inline, public, tree) in uses(&module.code) {
                if !public || !inline.is_empty() {
                    continue;
                }
                for leaf in use_leaves(&tree) {
                    let Some(target) = self.absolute(&key, &[], &leaf) else {
                        continue;
                    };
                    let name =
                        tree_alias(&tree, &leaf).unwrap_or_else(|| leaf.last().unwrap().clone());
                    if name == *item {
                        let mut next = target.1.clone();
                        next.extend(segs[len + 1..].iter().cloned());
                        return self.resolve(&(target.0, next), hops + 1);
                    }
                    if name == "*" {
                        let mut glob = target.1.clone();
                        glob.pop();
                        let mut next = glob.clone();
                        next.push(item.clone());
                        if let Some(m) = self.modules.get(&(target.0.clone(), glob))
                            && defines(&m.code, item)
                        {
                            next.extend(segs[len + 1..].iter().cloned());
                            return self.resolve(&(target.0, next), hops + 1);
                        }
                    }
                }
            }
        }
        Some(&module.file)
    }

    /// Every edge, with the first path that makes it.
    fn edges(&self) -> BTreeMap<(PathBuf, PathBuf), String> {
        let mut edges = BTreeMap::new();
        for (here, module) in &self.modules {
            let mut paths: Vec<(Vec<String>, Vec<String>)> = Vec::new();
            for (inline, _, tree) in uses(&module.code) {
                paths.extend(use_leaves(&tree).into_iter().map(|l| (inline.clone(), l)));
            }
            // Paths written out in code: `crate::x::y`, `super::x`, `botui::x`.
            for root in ["crate::", "super::", "botui::", "self::"] {
                let mut from = 0;
                while let Some(i) = module.code[from..].find(root) {
                    let at = from + i;
                    from = at + root.len();
                    let before = module.code[..at].chars().last();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                        continue;
                    }
                    let path: String = module.code[at..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    // `super::{a, b}`: the use tree names the files, not the parent.
                    if module.code[at + path.len()..].starts_with('{') {
                        continue;
                    }
                    let segs: Vec<String> = path
                        .split("::")
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect();
                    paths.push((inline_at(&module.code, at), segs));
                }
            }
            for (inline, path) in paths {
                if inline.iter().any(|m| m.starts_with(TEST)) {
                    continue;
                }
                if path.last().is_some_and(|s| s == "*") {
                    let mut p = path.clone();
                    p.pop();
                    if let Some(abs) = self.absolute(here, &inline, &p)
                        && let Some(file) = self.resolve(&abs, 0)
                        && file != module.file
                    {
                        edges
                            .entry((module.file.clone(), file.to_path_buf()))
                            .or_insert_with(|| path.join("::"));
                    }
                    continue;
                }
                if let Some(abs) = self.absolute(here, &inline, &path)
                    && let Some(file) = self.resolve(&abs, 0)
                    && file != module.file
                {
                    edges
                        .entry((module.file.clone(), file.to_path_buf()))
                        .or_insert_with(|| path.join("::"));
                }
            }
        }
        edges
    }
}

/// The `as` name a leaf is imported under, if any.
fn tree_alias(tree: &str, leaf: &[String]) -> Option<String> {
    let last = leaf.last()?;
    let pat = format!("{last} as ");
    let i = tree.find(&pat)?;
    Some(
        tree[i + pat.len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect(),
    )
}

/// Whether a file defines an item named `name`.
fn defines(code: &str, name: &str) -> bool {
    [
        "struct",
        "enum",
        "fn",
        "type",
        "trait",
        "const",
        "static",
        "mod",
        "macro_rules!",
    ]
    .iter()
    .any(|kw| {
        let pat = format!("{kw} {name}");
        code.match_indices(&pat).any(|(i, _)| {
            code[i + pat.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        })
    })
}

/// The crate at `MODULE_CYCLES_ROOT` (another checkout, to see the checks fail on a tree with
/// cycles), else this one; its edges with paths relative to it.
fn crate_edges() -> BTreeMap<(String, String), String> {
    let root = std::env::var_os("MODULE_CYCLES_ROOT")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let graph = Graph {
        modules: modules(&root),
    };
    let rel = |p: &Path| p.strip_prefix(&root).unwrap().display().to_string();
    graph
        .edges()
        .into_iter()
        .map(|((a, b), via)| ((rel(&a), rel(&b)), via))
        .collect()
}

fn two_cycles() -> Vec<String> {
    let edges = crate_edges();
    edges
        .iter()
        .filter_map(|((a, b), via)| {
            let back = edges.get(&(b.clone(), a.clone()))?;
            (a < b).then(|| format!("{a} <-> {b} (`{via}`, `{back}`)"))
        })
        .collect()
}

#[test]
fn no_two_files_import_each_other() {
    let cycles = two_cycles();
    assert!(
        cycles.is_empty(),
        "files that import each other:\n{}",
        cycles.join("\n")
    );
}

/// The run config is read by data, training and the front ends, and reads none of them.
#[test]
fn the_config_floor_imports_no_floor_above_it() {
    let above = [
        "src/data/",
        "src/train/",
        "src/checkpoint/",
        "src/tui/",
        "src/cli/",
    ];
    let up: Vec<String> = crate_edges()
        .into_iter()
        .filter(|((a, b), _)| {
            a.starts_with("src/config/") && above.iter().any(|f| b.starts_with(f))
        })
        .map(|((a, b), via)| format!("{a} -> {b} (`{via}`)"))
        .collect();
    assert!(
        up.is_empty(),
        "config imports from above:\n{}",
        up.join("\n")
    );
}

#[test]
fn the_checker_sees_use_trees_reexports_and_inline_modules() {
    let leaves = use_leaves("super::{a, b::{c, d as e}, f::self}");
    let joined: Vec<String> = leaves.iter().map(|l| l.join("::")).collect();
    assert_eq!(
        joined,
        ["super::a", "super::b::c", "super::b::d", "super::f"]
    );
    let code = strip(
        "use a::b; // use c::d;\nlet s = \"use e::f;\"; let c = '\"'; mod tests {\n use super::*;\n}",
    );
    let found: Vec<String> = uses(&code).into_iter().map(|u| u.2).collect();
    assert_eq!(found, ["a::b", "super::*"]);
    assert_eq!(uses(&code)[1].0, ["tests"]);
    assert_eq!(inline_at(&code, code.rfind("super").unwrap()), ["tests"]);
    let test = strip("#[cfg(test)]\nmod tests {\n use super::*;\n}");
    assert_eq!(uses(&test)[0].0, [format!("{TEST}tests")]);
}
