//! The tree's filter: plain text or a glob.
//!
//! * Text without `*`, `?` or `[` matches, ignoring ASCII case, anywhere in
//!   the entry's name — or anywhere in its absolute path when the text
//!   contains a `/`.
//! * A glob (`*.so`, `lib?.a`, `/usr/**/python*`) matches the whole name, or
//!   the whole absolute path when it starts with `/`. `*` and `?` do not
//!   cross `/`; `**` does; `[abc]`, `[a-z]` and `[!a]` are classes. Globs are
//!   case-sensitive, as file names are.
//!
//! Matching is linear-time backtracking over bytes (the classic two-pointer
//! algorithm per `/`-free segment), and the pattern is capped at
//! [`MAX_FILTER_LEN`] bytes, so a hostile pattern cannot stall the page.

/// The longest filter kept (longer input is cut).
pub const MAX_FILTER_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Byte(u8),
    Any,
    Star,
    GlobStar,
    Class { negate: bool, ranges: Vec<(u8, u8)> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Empty,
    Text { needle: Vec<u8>, in_path: bool },
    Glob { tokens: Vec<Token>, in_path: bool },
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    text: String,
    kind: Kind,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter::new("")
    }
}

fn parse_glob(p: &[u8]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'*' if p.get(i + 1) == Some(&b'*') => {
                out.push(Token::GlobStar);
                i += 2;
                while p.get(i) == Some(&b'*') {
                    i += 1;
                }
                continue;
            }
            b'*' => out.push(Token::Star),
            b'?' => out.push(Token::Any),
            b'[' => {
                if let Some((token, used)) = parse_class(&p[i..]) {
                    out.push(token);
                    i += used;
                    continue;
                }
                out.push(Token::Byte(b'['));
            }
            b => out.push(Token::Byte(b)),
        }
        i += 1;
    }
    out
}

/// `[...]` at the start of `p`: the class and the bytes it used, or `None`
/// when unterminated (then `[` is literal).
fn parse_class(p: &[u8]) -> Option<(Token, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    while i < p.len() {
        let c = p[i];
        if c == b']' && !first {
            return Some((Token::Class { negate, ranges }, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|e| *e != b']') {
            let hi = p[i + 2];
            ranges.push((c.min(hi), c.max(hi)));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
    None
}

fn class_matches(negate: bool, ranges: &[(u8, u8)], b: u8) -> bool {
    ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&b)) != negate
}

/// Matches tokens against text; `*`/`?`/classes never match `/`, `**`
/// matches anything. Iterative with one backtrack point per star kind, which
/// is enough for these semantics and keeps the cost O(len(p) × len(t)).
fn glob_match(tokens: &[Token], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // Backtrack point of the last `*` (cannot cross `/`) and `**`.
    let mut star: Option<(usize, usize)> = None;
    let mut globstar: Option<(usize, usize)> = None;
    loop {
        if p < tokens.len() {
            let step = match &tokens[p] {
                Token::GlobStar => {
                    globstar = Some((p, t));
                    star = None;
                    p += 1;
                    continue;
                }
                Token::Star => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                Token::Any => t < text.len() && text[t] != b'/',
                Token::Byte(b) => t < text.len() && text[t] == *b,
                Token::Class { negate, ranges } => {
                    t < text.len() && text[t] != b'/' && class_matches(*negate, ranges, text[t])
                }
            };
            if step {
                p += 1;
                t += 1;
                continue;
            }
        } else if t == text.len() {
            return true;
        }
        // Mismatch: let the last star eat one more byte (not a `/`), else
        // the last globstar eat one more byte (anything).
        if let Some((sp, st)) = star {
            if st < text.len() && text[st] != b'/' {
                star = Some((sp, st + 1));
                p = sp + 1;
                t = st + 1;
                continue;
            }
            star = None;
        }
        match globstar {
            Some((gp, gt)) if gt < text.len() => {
                globstar = Some((gp, gt + 1));
                p = gp + 1;
                t = gt + 1;
            }
            _ => return false,
        }
    }
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

impl Filter {
    /// Parses what a person typed (cut to [`MAX_FILTER_LEN`] bytes).
    pub fn new(text: &str) -> Filter {
        let mut cut = text.len().min(MAX_FILTER_LEN);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let text = text[..cut].to_owned();
        let t = text.trim();
        let kind = if t.is_empty() {
            Kind::Empty
        } else if t.bytes().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            Kind::Glob {
                tokens: parse_glob(t.as_bytes()),
                in_path: t.starts_with('/'),
            }
        } else {
            Kind::Text {
                needle: t.as_bytes().to_vec(),
                in_path: t.contains('/'),
            }
        };
        Filter { text, kind }
    }

    /// The text as typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the filter hides anything.
    pub fn is_active(&self) -> bool {
        self.kind != Kind::Empty
    }

    /// Whether the filter needs absolute paths (else names suffice).
    pub fn needs_path(&self) -> bool {
        matches!(
            self.kind,
            Kind::Text { in_path: true, .. } | Kind::Glob { in_path: true, .. }
        )
    }

    /// Whether an entry matches: `name` is its last component, `abs_path`
    /// its absolute path (only read when [`Filter::needs_path`]).
    pub fn matches(&self, name: &[u8], abs_path: &[u8]) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Text { needle, in_path } => {
                contains_ignore_case(if *in_path { abs_path } else { name }, needle)
            }
            Kind::Glob { tokens, in_path } => {
                glob_match(tokens, if *in_path { abs_path } else { name })
            }
        }
    }
}
