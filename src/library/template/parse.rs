//! The template lexer and parser (Go's `text/template/parse`, reduced to the
//! subset described in the parent module).

use super::{error_at, TemplateError, TemplateErrorKind, MAX_DEPTH};

/// A node of the template tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// Literal text.
    Text(String),
    /// `{{pipeline}}`: its value is printed.
    Action(Pipe),
    /// `{{if p}}…{{else if q}}…{{else}}…{{end}}`.
    If {
        /// Each condition with the nodes it guards, in order.
        branches: Vec<(Pipe, Vec<Node>)>,
        /// The `{{else}}` part (empty when absent).
        otherwise: Vec<Node>,
    },
}

/// `cmd | cmd | …`: each command's value is the last argument of the next.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pipe {
    pub cmds: Vec<Cmd>,
    pub pos: usize,
}

/// One command: a function call with arguments, or a single operand.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cmd {
    pub args: Vec<Arg>,
    pub pos: usize,
}

/// An operand, with its position and source text (for error messages).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arg {
    pub term: Term,
    pub pos: usize,
    pub text: String,
}

/// What an operand is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Term {
    Dot,
    Field(Vec<String>),
    Func(String),
    Str(String),
    Int(i64),
    Bool(bool),
    Nil,
    Pipe(Box<Pipe>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
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

/// How a list of nodes ended.
enum Stop {
    Eof,
    Else { pos: usize, cond: Option<Pipe> },
    EndAction { pos: usize },
}

pub(crate) struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    trim_next_text: bool,
    depth: usize,
}

type PResult<T> = Result<T, TemplateError>;

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> Parser<'a> {
        Parser {
            src,
            b: src.as_bytes(),
            pos: 0,
            trim_next_text: false,
            depth: 0,
        }
    }

    fn err<T>(&self, pos: usize, message: impl Into<String>) -> PResult<T> {
        Err(error_at(
            self.src,
            TemplateErrorKind::Parse,
            pos,
            None,
            message.into(),
        ))
    }

    pub(crate) fn parse(mut self) -> PResult<Vec<Node>> {
        let (nodes, end) = self.list()?;
        match end {
            Stop::Eof => Ok(nodes),
            Stop::Else { pos, .. } => self.err(pos, "unexpected {{else}}"),
            Stop::EndAction { pos } => self.err(pos, "unexpected {{end}}"),
        }
    }

    /// Nodes up to EOF, `{{else}}` or `{{end}}`.
    fn list(&mut self) -> PResult<(Vec<Node>, Stop)> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(self.pos, format!("nesting deeper than {MAX_DEPTH}"));
        }
        let mut nodes = Vec::new();
        loop {
            let start = self.pos;
            let open = self.src[start..].find("{{").map(|i| start + i);
            let text_end = open.unwrap_or(self.b.len());
            let left_trim = open.is_some_and(|o| {
                self.b.get(o + 2) == Some(&b'-') && self.b.get(o + 3).is_some_and(|&c| is_space(c))
            });
            let mut text = &self.src[start..text_end];
            if std::mem::take(&mut self.trim_next_text) {
                text = text.trim_start_matches([' ', '\t', '\r', '\n']);
            }
            if left_trim {
                text = text.trim_end_matches([' ', '\t', '\r', '\n']);
            }
            if !text.is_empty() {
                nodes.push(Node::Text(text.to_owned()));
            }
            let Some(open) = open else {
                self.pos = self.b.len();
                self.depth -= 1;
                return Ok((nodes, Stop::Eof));
            };
            self.pos = open + if left_trim { 4 } else { 2 };
            if self.b[self.pos..].starts_with(b"/*") {
                self.comment(open)?;
                continue;
            }
            let kw_pos = self.skip_spaces();
            let word = self.peek_ident();
            match word.as_deref() {
                Some("if") => {
                    self.pos += 2;
                    nodes.push(self.if_node(kw_pos)?);
                }
                Some("else") => {
                    self.pos += 4;
                    let after = self.skip_spaces();
                    let cond = if self.peek_ident().as_deref() == Some("if") {
                        self.pos += 2;
                        Some(self.pipe("if", after)?)
                    } else {
                        self.expect_close("else")?;
                        None
                    };
                    self.depth -= 1;
                    return Ok((nodes, Stop::Else { pos: kw_pos, cond }));
                }
                Some("end") => {
                    self.pos += 3;
                    self.expect_close("end")?;
                    self.depth -= 1;
                    return Ok((nodes, Stop::EndAction { pos: kw_pos }));
                }
                Some(
                    kw
                    @ ("range" | "with" | "define" | "template" | "block" | "break" | "continue"),
                ) => {
                    return self.err(
                        kw_pos,
                        format!("{{{{{kw}}}}} is not supported here (only if/else/end)"),
                    );
                }
                _ => {
                    let pipe = self.pipe("command", kw_pos)?;
                    nodes.push(Node::Action(pipe));
                }
            }
        }
    }

    fn comment(&mut self, open: usize) -> PResult<()> {
        let Some(close) = self.src[self.pos + 2..].find("*/") else {
            return self.err(open, "unclosed comment");
        };
        self.pos += 2 + close + 2;
        if self.right_trim_at(self.pos) {
            self.pos += 4;
            self.trim_next_text = true;
        } else if self.b[self.pos..].starts_with(b"}}") {
            self.pos += 2;
        } else {
            return self.err(self.pos, "comment ends before closing delimiter");
        }
        Ok(())
    }

    fn if_node(&mut self, kw_pos: usize) -> PResult<Node> {
        let mut cond = self.pipe("if", kw_pos)?;
        let mut branches = Vec::new();
        loop {
            let (body, end) = self.list()?;
            branches.push((cond, body));
            match end {
                Stop::Eof => return self.err(self.b.len(), "unexpected EOF"),
                Stop::EndAction { .. } => {
                    return Ok(Node::If {
                        branches,
                        otherwise: Vec::new(),
                    })
                }
                Stop::Else {
                    cond: Some(next), ..
                } => cond = next,
                Stop::Else { cond: None, .. } => {
                    let (otherwise, end) = self.list()?;
                    return match end {
                        Stop::EndAction { .. } => Ok(Node::If {
                            branches,
                            otherwise,
                        }),
                        Stop::Eof => self.err(self.b.len(), "unexpected EOF"),
                        Stop::Else { pos, .. } => self.err(pos, "expected end; found {{else}}"),
                    };
                }
            }
        }
    }

    fn skip_spaces(&mut self) -> usize {
        while self.b.get(self.pos).is_some_and(|&c| is_space(c)) {
            // A space before `-}}` belongs to the right trim marker.
            if self.right_trim_at(self.pos) {
                break;
            }
            self.pos += 1;
        }
        self.pos
    }

    /// Go's right trim marker: a space character, `-`, then `}}`.
    fn right_trim_at(&self, p: usize) -> bool {
        self.b.get(p).is_some_and(|&c| is_space(c))
            && self.b.get(p + 1) == Some(&b'-')
            && self.b[p + 2..].starts_with(b"}}")
    }

    fn peek_ident(&self) -> Option<String> {
        let start = self.pos;
        if !self.b.get(start).is_some_and(|&c| is_ident_start(c)) {
            return None;
        }
        let mut end = start;
        while self.b.get(end).is_some_and(|&c| is_ident(c)) {
            end += 1;
        }
        Some(self.src[start..end].to_owned())
    }

    fn expect_close(&mut self, what: &str) -> PResult<()> {
        let at = self.skip_spaces();
        match self.token()? {
            Tok::RightDelim { trim } => {
                self.trim_next_text = trim;
                Ok(())
            }
            _ => self.err(at, format!("unexpected token in {what}")),
        }
    }

    /// A pipeline up to `}}` (or `)` inside parentheses).
    fn pipe(&mut self, context: &str, pos: usize) -> PResult<Pipe> {
        self.pipe_until(context, pos, false)
    }

    fn pipe_until(&mut self, context: &str, pos: usize, paren: bool) -> PResult<Pipe> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(pos, format!("nesting deeper than {MAX_DEPTH}"));
        }
        let mut cmds = Vec::new();
        let mut cmd = Cmd {
            args: Vec::new(),
            pos: self.skip_spaces(),
        };
        loop {
            let at = self.skip_spaces();
            let tok = self.token()?;
            let text = self.src[at..self.pos].trim_end().to_owned();
            let term = match tok {
                Tok::RightDelim { trim } if !paren => {
                    self.trim_next_text = trim;
                    break;
                }
                Tok::RParen if paren => break,
                Tok::RightDelim { .. } => return self.err(at, "unclosed left paren"),
                Tok::RParen => return self.err(at, "unexpected right paren"),
                Tok::Bar => {
                    if cmd.args.is_empty() {
                        return self.err(at, "missing command");
                    }
                    let next = self.skip_spaces();
                    cmds.push(std::mem::replace(
                        &mut cmd,
                        Cmd {
                            args: Vec::new(),
                            pos: next,
                        },
                    ));
                    continue;
                }
                Tok::LParen => {
                    let inner = self.pipe_until("parenthesized pipeline", at, true)?;
                    Term::Pipe(Box::new(inner))
                }
                Tok::Dot => Term::Dot,
                Tok::Field(f) => Term::Field(f),
                Tok::Str(s) => Term::Str(s),
                Tok::Int(n) => Term::Int(n),
                Tok::Ident(w) => match w.as_str() {
                    "true" => Term::Bool(true),
                    "false" => Term::Bool(false),
                    "nil" => Term::Nil,
                    _ => {
                        super::exec::check_function(&w).map_err(|m| {
                            error_at(self.src, TemplateErrorKind::Parse, at, None, m)
                        })?;
                        Term::Func(w)
                    }
                },
            };
            let text = if matches!(term, Term::Pipe(_)) {
                self.src[at..self.pos].to_owned()
            } else {
                text
            };
            cmd.args.push(Arg {
                term,
                pos: at,
                text,
            });
        }
        if cmd.args.is_empty() {
            if cmds.is_empty() {
                return self.err(pos, format!("missing value for {context}"));
            }
            return self.err(self.pos, "missing command");
        }
        cmds.push(cmd);
        self.depth -= 1;
        Ok(Pipe { cmds, pos })
    }

    fn token(&mut self) -> PResult<Tok> {
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

/// Calls `f(name, pos, text)` for every `.Field` in the tree (first
/// component only: that is the one evaluated on the image context).
pub(crate) fn walk_fields(nodes: &[Node], f: &mut dyn FnMut(&str, usize, &str)) {
    fn pipe(p: &Pipe, f: &mut dyn FnMut(&str, usize, &str)) {
        for c in &p.cmds {
            for a in &c.args {
                match &a.term {
                    Term::Field(parts) => {
                        if let Some(first) = parts.first() {
                            f(first, a.pos, &a.text);
                        }
                    }
                    Term::Pipe(inner) => pipe(inner, f),
                    _ => {}
                }
            }
        }
    }
    for n in nodes {
        match n {
            Node::Text(_) => {}
            Node::Action(p) => pipe(p, f),
            Node::If {
                branches,
                otherwise,
            } => {
                for (c, body) in branches {
                    pipe(c, f);
                    walk_fields(body, f);
                }
                walk_fields(otherwise, f);
            }
        }
    }
}
