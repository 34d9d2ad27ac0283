//! Executing a parsed template: values, Docker's template functions and the
//! Go built-ins of the subset.

use super::parse::{Arg, Cmd, Node, Pipe, Term};
use super::{error_at, TemplateError, TemplateErrorKind, MAX_OUTPUT};

/// What `.` is while a template runs: the fields a row (or the header) offers.
pub trait Context {
    /// The value of `.NAME`, or `None` when there is no such field.
    fn field(&self, name: &str) -> Option<String>;
    /// What `{{json .}}` prints.
    fn json(&self) -> String;
    /// Go's name for the type, in "can't evaluate field X in type T".
    fn type_name(&self) -> &str;
}

/// The context a `table` header runs in: each field's value is its column
/// name (Docker's `SubHeaderContext`), from a fixed `(field, column)` list.
#[derive(Debug, Clone, Copy)]
pub struct HeaderContext(pub &'static [(&'static str, &'static str)]);

impl Context for HeaderContext {
    fn field(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, column)| (*column).to_owned())
    }

    fn json(&self) -> String {
        String::new()
    }

    fn type_name(&self) -> &str {
        "formatter.SubHeaderContext"
    }
}

/// Rows run with Docker's template functions; the table header runs with
/// Docker's `HeaderFunctions`, where `json split join title lower upper
/// truncate` return their argument unchanged so the header shows the column
/// names themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A row.
    Row,
    /// The table header.
    Header,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Ctx,
    Str(String),
    List(Vec<String>),
    Int(i64),
    Bool(bool),
    Nil,
}

impl Value {
    pub(super) fn type_name<'a>(&self, ctx: &'a dyn Context) -> &'a str {
        match self {
            Value::Ctx => ctx.type_name(),
            Value::Str(_) => "string",
            Value::List(_) => "[]string",
            Value::Int(_) => "int",
            Value::Bool(_) => "bool",
            Value::Nil => "nil",
        }
    }

    /// Go's `isTrue`.
    pub(super) fn truth(&self) -> bool {
        match self {
            Value::Ctx => true,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Int(n) => *n != 0,
            Value::Bool(b) => *b,
            Value::Nil => false,
        }
    }
}

pub(crate) struct Exec<'a> {
    src: &'a str,
    pub(super) ctx: &'a dyn Context,
    pub(super) mode: Mode,
    out: &'a mut String,
}

pub(super) type EResult<T> = Result<T, TemplateError>;

impl<'a> Exec<'a> {
    pub(crate) fn new(
        src: &'a str,
        ctx: &'a dyn Context,
        mode: Mode,
        out: &'a mut String,
    ) -> Exec<'a> {
        Exec {
            src,
            ctx,
            mode,
            out,
        }
    }

    pub(super) fn err<T>(&self, pos: usize, node: &str, message: impl Into<String>) -> EResult<T> {
        Err(error_at(
            self.src,
            TemplateErrorKind::Exec,
            pos,
            Some(node.to_owned()),
            message.into(),
        ))
    }

    fn emit(&mut self, s: &str, pos: usize) -> EResult<()> {
        if self.out.len() + s.len() > MAX_OUTPUT {
            return self.err(
                pos,
                "output",
                format!("output is larger than {MAX_OUTPUT} bytes"),
            );
        }
        self.out.push_str(s);
        Ok(())
    }

    pub(crate) fn run(&mut self, nodes: &[Node]) -> EResult<()> {
        for node in nodes {
            match node {
                Node::Text(t) => self.emit(t, 0)?,
                Node::Action(p) => {
                    let v = self.pipe(p)?;
                    let s = self.print(&v);
                    self.emit(&s, p.pos)?;
                }
                Node::If {
                    branches,
                    otherwise,
                } => {
                    let mut taken = false;
                    for (cond, body) in branches {
                        if self.pipe(cond)?.truth() {
                            self.run(body)?;
                            taken = true;
                            break;
                        }
                    }
                    if !taken {
                        self.run(otherwise)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// How Go's `fmt.Fprint` prints a value (the image context prints as JSON).
    pub(super) fn print(&self, v: &Value) -> String {
        match v {
            Value::Ctx => self.ctx.json(),
            Value::Str(s) => s.clone(),
            Value::List(l) => format!("[{}]", l.join(" ")),
            Value::Int(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Nil => "<no value>".to_owned(),
        }
    }

    fn pipe(&self, p: &Pipe) -> EResult<Value> {
        let mut piped = None;
        for cmd in &p.cmds {
            piped = Some(self.cmd(cmd, piped)?);
        }
        Ok(piped.unwrap_or(Value::Nil))
    }

    fn cmd(&self, cmd: &Cmd, piped: Option<Value>) -> EResult<Value> {
        let Some(first) = cmd.args.first() else {
            return Ok(Value::Nil);
        };
        let rest = &cmd.args[1..];
        match &first.term {
            Term::Func(name) => {
                let mut args = Vec::with_capacity(rest.len() + 1);
                for a in rest {
                    args.push((self.arg(a)?, a));
                }
                let piped = piped.map(|v| (v, first));
                self.call(name, first, args, piped)
            }
            Term::Field(parts) if !rest.is_empty() || piped.is_some() => {
                let name = parts.last().map_or("", String::as_str);
                self.err(
                    first.pos,
                    &first.text,
                    format!("{name} is not a method but has arguments"),
                )
            }
            _ if !rest.is_empty() || piped.is_some() => self.err(
                first.pos,
                &first.text,
                format!("can't give argument to non-function {}", first.text),
            ),
            _ => self.arg(first),
        }
    }

    fn arg(&self, a: &Arg) -> EResult<Value> {
        Ok(match &a.term {
            Term::Dot => Value::Ctx,
            Term::Str(s) => Value::Str(s.clone()),
            Term::Int(n) => Value::Int(*n),
            Term::Bool(b) => Value::Bool(*b),
            Term::Nil => Value::Nil,
            Term::Pipe(p) => self.pipe(p)?,
            Term::Func(name) => self.call(name, a, Vec::new(), None)?,
            Term::Field(parts) => {
                let mut v = Value::Ctx;
                for part in parts {
                    v = match v {
                        Value::Ctx => match self.ctx.field(part) {
                            Some(s) => Value::Str(s),
                            None => {
                                return self.err(
                                    a.pos,
                                    &a.text,
                                    format!(
                                        "can't evaluate field {part} in type {}",
                                        self.ctx.type_name()
                                    ),
                                )
                            }
                        },
                        other => {
                            return self.err(
                                a.pos,
                                &a.text,
                                format!(
                                    "can't evaluate field {part} in type {}",
                                    other.type_name(self.ctx)
                                ),
                            )
                        }
                    };
                }
                v
            }
        })
    }
}
