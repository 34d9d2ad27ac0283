//! Normalising tar member names into the root-relative byte paths that
//! [`Entry::path`](super::Entry::path) promises.
//!
//! Tar names are written by arbitrary tools: `./usr/bin/`, `usr/bin`,
//! `/usr/bin` and `usr//bin/.` all name the same directory in a layer, and a
//! hostile layer may say `../../etc/passwd`. Runtimes resolve names against
//! the container's root, so we do the same, lexically: `.` and empty
//! components vanish, `..` removes the previous component, and a `..` that
//! would climb above the root is refused. Docker's `pkg/archive` refuses such
//! entries ("breakout"), and so do we — whether the name was written relative
//! (`../x`) or absolute (`/../x`); an inspector should show the attempt, not
//! quietly rewrite it.

/// Why a tar member name cannot become an entry path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    /// A `..` component would climb above the root of the layer.
    EscapesRoot,
    /// The name contains a NUL byte, which no Unix file name can.
    ContainsNul,
}

/// Normalises a tar member name (or a hard-link target) into a
/// root-relative path: no leading `/` or `./`, no trailing `/`, no `.` or
/// empty components, `..` resolved lexically. The root itself is the empty
/// path. Bytes in, bytes out: names need not be UTF-8.
///
/// ```
/// use layerlens::layer::normalize_path;
/// assert_eq!(normalize_path(b"./usr//bin/").unwrap(), b"usr/bin");
/// assert_eq!(normalize_path(b"/etc/../var").unwrap(), b"var");
/// assert!(normalize_path(b"a/../../etc").is_err());
/// ```
pub fn normalize_path(raw: &[u8]) -> Result<Vec<u8>, PathProblem> {
    if raw.contains(&0) {
        return Err(PathProblem::ContainsNul);
    }
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    for component in raw.split(|&b| b == b'/') {
        match component {
            b"" | b"." => {}
            b".." => {
                if out.is_empty() {
                    return Err(PathProblem::EscapesRoot);
                }
                let cut = out.iter().rposition(|&b| b == b'/').unwrap_or(0);
                out.truncate(cut);
            }
            name => {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(name);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &[u8]) -> Result<Vec<u8>, PathProblem> {
        normalize_path(s)
    }

    #[test]
    fn strips_dots_slashes_and_resolves_parents() {
        assert_eq!(norm(b"./a/b/").unwrap(), b"a/b");
        assert_eq!(norm(b"/abs").unwrap(), b"abs");
        assert_eq!(norm(b"a//b/./c").unwrap(), b"a/b/c");
        assert_eq!(norm(b"a/b/../c").unwrap(), b"a/c");
        assert_eq!(norm(b"a/..").unwrap(), b"");
        assert_eq!(norm(b"./").unwrap(), b"");
        assert_eq!(norm(b"").unwrap(), b"");
        assert_eq!(norm(b"...").unwrap(), b"...");
        assert_eq!(norm(b"\xff\xfe/x").unwrap(), b"\xff\xfe/x");
    }

    #[test]
    fn refuses_escapes_and_nul() {
        assert_eq!(norm(b"../x"), Err(PathProblem::EscapesRoot));
        assert_eq!(norm(b"/../x"), Err(PathProblem::EscapesRoot));
        assert_eq!(norm(b"a/../../x"), Err(PathProblem::EscapesRoot));
        assert_eq!(norm(b".."), Err(PathProblem::EscapesRoot));
        assert_eq!(norm(b"a\0b"), Err(PathProblem::ContainsNul));
    }
}
