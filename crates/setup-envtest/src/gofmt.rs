//! The few Go standard-library formatting behaviours that upstream's output depends on:
//! `%q` quoting, `path/filepath.Join`/`Clean`, and `text/tabwriter` alignment.

use std::fmt::Write as _;

/// Go's `strconv.Quote` (what `%q` prints for a string).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        push_escaped(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// Go's `strconv.QuoteRune` (what `%q` prints for a rune).
pub fn quote_rune(c: char) -> String {
    let mut out = String::from("'");
    push_escaped(&mut out, c, '\'');
    out.push('\'');
    out
}

fn push_escaped(out: &mut String, c: char, quote: char) {
    match c {
        _ if c == quote || c == '\\' => {
            out.push('\\');
            out.push(c);
        }
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        _ if (c as u32) < 0x20 || c == '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        _ if c.is_control() => {
            if (c as u32) < 0x10000 {
                let _ = write!(out, "\\u{:04x}", c as u32);
            } else {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
        _ => out.push(c),
    }
}

/// Go's `path/filepath.Clean` for slash-separated paths: the shortest lexically
/// equivalent path (no `.`, no `x/..`, no repeated or trailing separators).
#[cfg(not(windows))]
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// On Windows, paths are joined with the platform separator but not cleaned further.
#[cfg(windows)]
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    path.replace('/', "\\")
}

/// Go's `path/filepath.Join`: joins the non-empty elements and cleans the result
/// (an empty result stays empty).
pub fn join(elements: &[&str]) -> String {
    let parts: Vec<&str> = elements.iter().copied().filter(|e| !e.is_empty()).collect();
    if parts.is_empty() {
        return String::new();
    }
    clean(&parts.join(std::path::MAIN_SEPARATOR_STR))
}

/// Go's `path/filepath.Base`: the last element, trailing separators removed
/// (`""` → `"."`, all separators → `"/"`).
pub fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let is_sep = |c: char| c == '/' || (cfg!(windows) && c == '\\');
    let trimmed = path.trim_end_matches(is_sep);
    if trimmed.is_empty() {
        return std::path::MAIN_SEPARATOR_STR.to_string();
    }
    trimmed.rsplit(is_sep).next().unwrap_or(trimmed).to_string()
}

/// Go's `text/tabwriter` as upstream configures it for `list`
/// (`minwidth 4, tabwidth 4, padding 2, padchar ' ', flags 0`), for rows that all have the
/// same number of cells: every cell but the last is a column, padded to the widest cell
/// of its column plus 2 (at least 4); the last cell is written as is.
pub fn tabwrite(rows: &[Vec<String>]) -> String {
    const MIN_WIDTH: usize = 4;
    const PADDING: usize = 2;
    let columns = rows
        .iter()
        .map(|r| r.len().saturating_sub(1))
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|col| {
            rows.iter()
                .filter_map(|row| row.get(col))
                .map(|cell| cell.chars().count() + PADDING)
                .fold(MIN_WIDTH, usize::max)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let last = row.len().saturating_sub(1);
        for (col, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if col < last {
                let pad = widths[col].saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_matches_go_strconv_quote() {
        assert_eq!(quote("1.2.3.4"), "\"1.2.3.4\"");
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quote("tab\there\n"), "\"tab\\there\\n\"");
        assert_eq!(quote("\u{1}"), "\"\\x01\"");
        assert_eq!(quote("grüße"), "\"grüße\"");
        assert_eq!(quote_rune('x'), "'x'");
        assert_eq!(quote_rune('\''), "'\\''");
    }

    #[cfg(not(windows))]
    #[test]
    fn join_cleans_like_go_filepath() {
        assert_eq!(
            join(&["/tmp/x/", "k8s", "1.2.3-linux-amd64"]),
            "/tmp/x/k8s/1.2.3-linux-amd64"
        );
        assert_eq!(join(&["./store", "k8s"]), "store/k8s");
        assert_eq!(join(&["a//b/./c/..", "d"]), "a/b/d");
        assert_eq!(join(&["../x", "k8s"]), "../x/k8s");
        assert_eq!(join(&["/..", "x"]), "/x");
        assert_eq!(join(&["", ""]), "");
        assert_eq!(join(&[".", "k8s"]), "k8s");
        assert_eq!(clean(""), ".");
        assert_eq!(base("/a/b/1.2.3-linux-amd64/"), "1.2.3-linux-amd64");
        assert_eq!(base("x"), "x");
        assert_eq!(base(""), ".");
        assert_eq!(base("///"), "/");
    }

    #[test]
    fn tabwrite_aligns_like_go_tabwriter() {
        let rows = vec![
            vec![
                "(installed)".to_string(),
                "v1.17.9".to_string(),
                "linux/amd64".to_string(),
            ],
            vec![
                "(available)".to_string(),
                "v1.16.10".to_string(),
                "linux/amd64".to_string(),
            ],
        ];
        assert_eq!(
            tabwrite(&rows),
            "(installed)  v1.17.9   linux/amd64\n(available)  v1.16.10  linux/amd64\n"
        );
        let short = vec![vec!["a".to_string(), "b".to_string()]];
        assert_eq!(tabwrite(&short), "a   b\n");
        assert_eq!(tabwrite(&[]), "");
    }
}
