//! The template lexer: the tokens inside an action (Go's
//! `text/template/parse/lex.go`, reduced to the subset).

use super::parse::{PResult, Parser};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    RightDelim { trim: bool },
    LParen,
    RParen,
    Bar,
    Dot,
    Field(Vec<String>),
    Ident(String),
    Str(String),
    Int(i64),
}

pub(super) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

pub(super) fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

pub(super) fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl Parser<'_> {
    pub(super) fn token(&mut self) -> PResult<Tok> {
        let start = self.pos;
        let Some(&c) = self.b.get(start) else {
            return self.err(start, "unclosed action");
        };
        if self.right_trim_at(start) {
            self.pos += 4;
            return Ok(Tok::RightDelim { trim: true });
        }
        if self.b[start..].starts_with(b"}}") {
            self.pos += 2;
            return Ok(Tok::RightDelim { trim: false });
        }
        match c {
            b'(' => {
                self.pos += 1;
                Ok(Tok::LParen)
            }
            b')' => {
                self.pos += 1;
                Ok(Tok::RParen)
            }
            b'|' => {
                self.pos += 1;
                Ok(Tok::Bar)
            }
            b'"' => self.quoted(),
            b'`' => {
                let Some(end) = self.src[start + 1..].find('`') else {
                    return self.err(start, "unterminated raw quoted string");
                };
                self.pos = start + 1 + end + 1;
                Ok(Tok::Str(self.src[start + 1..start + 1 + end].to_owned()))
            }
            b'.' => {
                let mut parts = Vec::new();
                let mut p = start;
                while self.b.get(p) == Some(&b'.')
                    && self.b.get(p + 1).is_some_and(|&c| is_ident_start(c))
                {
                    let s = p + 1;
                    let mut e = s;
                    while self.b.get(e).is_some_and(|&c| is_ident(c)) {
                        e += 1;
                    }
                    parts.push(self.src[s..e].to_owned());
                    p = e;
                }
                if parts.is_empty() {
                    self.pos = start + 1;
                    return Ok(Tok::Dot);
                }
                self.pos = p;
                Ok(Tok::Field(parts))
            }
            b'$' => self.err(start, "variables are not supported here"),
            b'0'..=b'9' | b'-' | b'+' => self.number(),
            _ if is_ident_start(c) => {
                let mut e = start;
                while self.b.get(e).is_some_and(|&c| is_ident(c)) {
                    e += 1;
                }
                self.pos = e;
                Ok(Tok::Ident(self.src[start..e].to_owned()))
            }
            b'\'' => self.err(start, "character constants are not supported here"),
            _ if c.is_ascii() && !c.is_ascii_control() => {
                self.err(start, format!("unexpected \"{}\" in command", c as char))
            }
            _ => {
                let ch = self.src[start..].chars().next().unwrap_or('\u{fffd}');
                self.err(
                    start,
                    format!(
                        "unrecognized character in action: U+{:04X} {ch:?}",
                        ch as u32
                    ),
                )
            }
        }
    }

    fn number(&mut self) -> PResult<Tok> {
        let start = self.pos;
        let mut e = start;
        if matches!(self.b.get(e), Some(b'-' | b'+')) {
            e += 1;
        }
        while self
            .b
            .get(e)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_'))
        {
            e += 1;
        }
        let text = &self.src[start..e];
        self.pos = e;
        match text.parse::<i64>() {
            Ok(n) => Ok(Tok::Int(n)),
            Err(_) => self.err(
                start,
                format!("bad number syntax: {text:?} (only integers are supported here)"),
            ),
        }
    }

    fn quoted(&mut self) -> PResult<Tok> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.src[start + 1..].char_indices();
        while let Some((i, ch)) = chars.next() {
            match ch {
                '"' => {
                    self.pos = start + 1 + i + 1;
                    return Ok(Tok::Str(out));
                }
                '\n' => break,
                '\\' => {
                    let Some((_, esc)) = chars.next() else { break };
                    let hex = |chars: &mut std::str::CharIndices<'_>, n: usize| {
                        let mut v = 0u32;
                        for _ in 0..n {
                            let d = chars.next()?.1.to_digit(16)?;
                            v = v * 16 + d;
                        }
                        char::from_u32(v)
                    };
                    let decoded = match esc {
                        'n' => Some('\n'),
                        't' => Some('\t'),
                        'r' => Some('\r'),
                        'a' => Some('\u{7}'),
                        'b' => Some('\u{8}'),
                        'f' => Some('\u{c}'),
                        'v' => Some('\u{b}'),
                        '\\' => Some('\\'),
                        '"' => Some('"'),
                        '\'' => Some('\''),
                        'x' => hex(&mut chars, 2),
                        'u' => hex(&mut chars, 4),
                        'U' => hex(&mut chars, 8),
                        _ => None,
                    };
                    match decoded {
                        Some(d) => out.push(d),
                        None => return self.err(start, "invalid syntax in quoted string"),
                    }
                }
                _ => out.push(ch),
            }
        }
        self.err(start, "unterminated quoted string")
    }
}
