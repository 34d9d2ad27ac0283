//! The reference grammar of `distribution/reference` (`regexp.go`), written
//! out by hand as linear-time matchers over bytes.
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [domain "/"] remote-name
//! domain           := host [":" port-number]
//! host             := domain-name | "[" ipv6-chars "]"
//! domain-name      := domain-component ("." domain-component)*
//! domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//! ipv6-chars       := [a-fA-F0-9:]+
//! port-number      := [0-9]+
//! remote-name      := path-component ("/" path-component)*
//! path-component   := alpha-numeric (separator alpha-numeric)*
//! alpha-numeric    := [a-z0-9]+
//! separator        := [._] | "__" | "-"+
//! tag              := [\w][\w.-]{0,127}
//! digest           := algorithm ":" [0-9a-fA-F]{32,}
//! algorithm        := [A-Za-z][A-Za-z0-9]* ([-_+.] [A-Za-z][A-Za-z0-9]*)*
//! identifier       := [a-f0-9]{64}
//! ```
//!
//! Upstream uses Go's leftmost-first regular expressions; where the grammar
//! is ambiguous the comments below say which reading upstream picks and why
//! these matchers pick the same one.

/// The pieces of a string that matches `reference`, as sub-slices of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Parts<'a> {
    /// The domain, or `""` when the name has none.
    pub domain: &'a str,
    /// The remote name (path).
    pub path: &'a str,
    /// The tag, without its `:`.
    pub tag: Option<&'a str>,
    /// The digest text (grammar-checked only), without its `@`.
    pub digest: Option<&'a str>,
}

/// Matches the whole `reference` production.
///
/// The split is deterministic: no component of `name` or `tag` may contain
/// `@`, so a digest starts after the first `@`; a tag cannot contain `:` or
/// `/` and a name's colons all sit in its domain, which a `/` must follow, so a
/// tag starts after the last `:` exactly when that `:` follows the last `/`.
pub(super) fn split_reference(s: &str) -> Option<Parts<'_>> {
    let (left, digest) = match s.split_once('@') {
        Some((left, digest)) => (left, Some(digest)),
        None => (s, None),
    };
    if let Some(d) = digest {
        if !is_digest_pattern(d) {
            return None;
        }
    }
    let (name, tag) = match (left.rfind(':'), left.rfind('/')) {
        (Some(colon), slash) if slash.is_none_or(|slash| colon > slash) => {
            (&left[..colon], Some(&left[colon + 1..]))
        }
        _ => (left, None),
    };
    if let Some(t) = tag {
        if !is_tag(t) {
            return None;
        }
    }
    let (domain, path) = split_name(name)?;
    Some(Parts {
        domain,
        path,
        tag,
        digest,
    })
}

/// Matches `name` and splits it into `(domain, remote-name)`; the domain is
/// `""` when absent.
///
/// Upstream's optional domain group is tried first (leftmost-first), so the
/// first component is a domain whenever it is a valid `domain` and the rest
/// is a valid remote name; otherwise the whole string must be a remote name.
/// `a/b` therefore has domain `a`, while `test_com/foo` (an underscore is not
/// allowed in a host) has none.
pub(super) fn split_name(name: &str) -> Option<(&str, &str)> {
    if let Some((domain, path)) = name.split_once('/') {
        if is_domain_and_port(domain) && is_remote_name(path) {
            return Some((domain, path));
        }
    }
    is_remote_name(name).then_some(("", name))
}

/// `remote-name := path-component ("/" path-component)*`
pub(super) fn is_remote_name(s: &str) -> bool {
    s.split('/').all(is_path_component)
}

/// `path-component := [a-z0-9]+ (([._] | "__" | "-"+) [a-z0-9]+)*`
fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        let run = b
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9'))
            .count();
        if run == 0 {
            return false;
        }
        i += run;
        let sep = match b.get(i) {
            None => return true,
            Some(b'.') => 1,
            Some(b'_') if b.get(i + 1) == Some(&b'_') => 2,
            Some(b'_') => 1,
            Some(b'-') => b[i..].iter().take_while(|&&c| c == b'-').count(),
            Some(_) => return false,
        };
        i += sep;
    }
}

/// `domain := host [":" port-number]`, `host := domain-name | "[" ipv6 "]"`.
pub(super) fn is_domain_and_port(s: &str) -> bool {
    let (host_ok, rest) = if let Some(inner) = s.strip_prefix('[') {
        match inner.split_once(']') {
            Some((addr, rest)) => (
                !addr.is_empty() && addr.bytes().all(|c| c.is_ascii_hexdigit() || c == b':'),
                rest,
            ),
            None => (false, ""),
        }
    } else {
        // A domain name has no ':', so the port starts at the first one.
        let end = s.find(':').unwrap_or(s.len());
        (s[..end].split('.').all(is_domain_component), &s[end..])
    };
    host_ok
        && (rest.is_empty()
            || rest
                .strip_prefix(':')
                .is_some_and(|port| !port.is_empty() && port.bytes().all(|c| c.is_ascii_digit())))
}

/// `domain-component := [a-zA-Z0-9] ([a-zA-Z0-9-]* [a-zA-Z0-9])?`
fn is_domain_component(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        }
        _ => false,
    }
}

/// Go's `\w`: `[0-9A-Za-z_]`.
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `tag := [\w][\w.-]{0,127}` — at most 128 characters.
pub(super) fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    match b.split_first() {
        Some((first, rest)) => {
            is_word(*first)
                && rest.len() <= 127
                && rest.iter().all(|&c| is_word(c) || c == b'.' || c == b'-')
        }
        None => false,
    }
}

/// The reference grammar's `digest`: wider than the registered algorithms
/// (any algorithm name, any length of at least 32 hex digits, either case).
/// Whether the algorithm is known and the length right is decided later by
/// [`crate::oci::Digest`], giving upstream's distinct errors.
pub(super) fn is_digest_pattern(s: &str) -> bool {
    let Some((algorithm, hex)) = s.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm.split(['-', '_', '+', '.']).all(|component| {
        let b = component.as_bytes();
        b.first().is_some_and(u8::is_ascii_alphabetic) && b.iter().all(u8::is_ascii_alphanumeric)
    });
    algorithm_ok && hex.len() >= 32 && hex.bytes().all(|c| c.is_ascii_hexdigit())
}

/// `identifier := [a-f0-9]{64}` — an image ID without its `sha256:`, which
/// Docker refuses as a repository name because it would be ambiguous.
pub(super) fn is_identifier(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Go's `strings.ToLower`: per character, Unicode simple lower-case mapping.
///
/// Rust's `char::to_lowercase` is the full mapping; the one character whose
/// full mapping is longer than one character, U+0130 `İ`, maps to plain `i` in
/// Go. The distinction matters only for characters that lower-case into the
/// ASCII grammar (U+0130 `İ` and U+212A KELVIN SIGN), which upstream reports as
/// an upper-case error rather than a format error.
pub(super) fn go_to_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{130}' => 'i',
            c => c.to_lowercase().next().unwrap_or(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_component_separators() {
        for ok in ["a", "a.b", "a_b", "a__b", "a-b", "a---b", "a.b-c__d_e"] {
            assert!(is_path_component(ok), "{ok}");
        }
        for bad in [
            "", ".a", "a.", "a..b", "a___b", "a._b", "a-.b", "A", "a/b", "-a", "a-", "_a",
        ] {
            assert!(!is_path_component(bad), "{bad}");
        }
    }

    #[test]
    fn domain_and_port_forms() {
        for ok in [
            "a",
            "A-b.c",
            "localhost:5000",
            "[::1]",
            "[::1]:5000",
            "1.2.3.4:80",
        ] {
            assert!(is_domain_and_port(ok), "{ok}");
        }
        for bad in [
            "",
            "a:",
            ":80",
            "a:b",
            "[]",
            "[::1",
            "[::1]5000",
            "a_b",
            "a..b",
            "[x]",
        ] {
            assert!(!is_domain_and_port(bad), "{bad}");
        }
    }

    #[test]
    fn tag_length_limit() {
        assert!(is_tag(&"a".repeat(128)));
        assert!(!is_tag(&"a".repeat(129)));
        assert!(!is_tag(".a"));
        assert!(!is_tag(""));
    }

    #[test]
    fn digest_pattern() {
        assert!(is_digest_pattern(&format!(
            "sha256+b64.x:{}",
            "A".repeat(32)
        )));
        assert!(!is_digest_pattern(&format!("sha256:{}", "a".repeat(31))));
        assert!(!is_digest_pattern(&format!("1sha:{}", "a".repeat(32))));
        assert!(!is_digest_pattern(&format!("sha__256:{}", "a".repeat(32))));
        assert!(!is_digest_pattern(&format!("sha256:{}g", "a".repeat(32))));
    }

    #[test]
    fn go_lowercase_quirks() {
        assert_eq!(go_to_lower("\u{130}X\u{212A}"), "ixk");
    }
}
