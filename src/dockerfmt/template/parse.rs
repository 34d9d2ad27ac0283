//! The template lexer and parser (Go's `text/template/parse`, reduced to the
//! subset described in the parent module).

use super::lex::{is_ident, is_ident_start, is_space, Tok};
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

/// How a list of nodes ended.
enum Stop {
    Eof,
    Else { pos: usize, cond: Option<Pipe> },
    EndAction { pos: usize },
}

pub(crate) struct Parser<'a> {
    pub(super) src: &'a str,
    pub(super) b: &'a [u8],
    pub(super) pos: usize,
    trim_next_text: bool,
    depth: usize,
}

pub(super) type PResult<T> = Result<T, TemplateError>;

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

    pub(super) fn err<T>(&self, pos: usize, message: impl Into<String>) -> PResult<T> {
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
    pub(super) fn right_trim_at(&self, p: usize) -> bool {
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
                        super::funcs::check_function(&w).map_err(|m| {
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
