//! A small subset of Go's `text/template`, enough for Docker's `--format`
//! strings: text, `{{.Field}}`, `{{if PIPELINE}}…{{else if …}}…{{else}}…{{end}}`,
//! pipelines with `|`, parenthesised sub-pipelines, string/number/bool
//! literals, trim markers (`{{- ` and ` -}}`), comments, Docker's template
//! functions (`json split join title lower upper pad truncate`) and the Go
//! built-ins people use in format strings (`printf print println len index
//! eq ne lt le gt ge not and or`).
//!
//! Errors read like Go's (`template: :1: function "x" not defined`,
//! `template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type
//! *formatter.imageContext`) and also carry the byte offset in the text the
//! user typed, so the page can point at it. Deliberate differences from Go:
//! `range`, `with`, variables, `define`/`template`/`block` are refused with
//! a clear message; unknown fields are reported when the template is
//! prepared ([`Template::check_fields`]) rather than when the first row is
//! rendered, so an error shows even on an empty list.
//!
//! Hostile input is bounded: template length, nesting depth, `pad`/`printf`
//! widths and the rendered output size all have limits.

mod exec;
mod funcs;
mod lex;
mod parse;

pub use exec::{Context, HeaderContext, Mode};
pub(crate) use funcs::json_object as exec_json_object;

use std::fmt;

/// Longest template accepted, in bytes.
pub const MAX_TEMPLATE_LEN: usize = 64 * 1024;
/// Deepest nesting of `if` and parentheses accepted.
pub const MAX_DEPTH: usize = 64;
/// Largest rendered output, in bytes.
pub const MAX_OUTPUT: usize = 16 << 20;
/// Largest padding or width a template may ask for.
pub const MAX_PAD: i64 = 4096;

/// Whether a template failed to parse or to execute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateErrorKind {
    /// The text is not a valid template (Go's parse errors).
    Parse,
    /// The template is valid but failed on a value (Go's exec errors).
    Exec,
}

/// An invalid template, or one that failed while rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    kind: TemplateErrorKind,
    line: usize,
    column: usize,
    offset: usize,
    node: Option<String>,
    message: String,
}

impl TemplateError {
    /// Parse or exec.
    pub fn kind(&self) -> TemplateErrorKind {
        self.kind
    }

    /// 1-based line in the template as Docker parses it (after `table` is
    /// stripped and `\t`, `\n` are replaced).
    pub fn line(&self) -> usize {
        self.line
    }

    /// Byte offset in the text the user typed where the problem is.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The problem alone (`function "x" not defined`), without location.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Shifts the offset into the user's text through `origin` (processed
    /// byte → original byte).
    pub(crate) fn remap(mut self, origin: &[usize], fallback: usize) -> TemplateError {
        self.offset = origin.get(self.offset).copied().unwrap_or(fallback);
        self
    }
}

impl fmt::Display for TemplateError {
    /// Docker's wording: `template parsing error: template: :LINE: MESSAGE`
    /// for parse errors, `…: template: :LINE:COL: executing "" at <NODE>:
    /// MESSAGE` for exec errors (Docker wraps both the same way).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.kind, &self.node) {
            (TemplateErrorKind::Exec, Some(node)) => write!(
                f,
                "template parsing error: template: :{}:{}: executing \"\" at <{}>: {}",
                self.line, self.column, node, self.message
            ),
            _ => write!(
                f,
                "template parsing error: template: :{}: {}",
                self.line, self.message
            ),
        }
    }
}

impl std::error::Error for TemplateError {}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    nodes: Vec<parse::Node>,
}

impl Template {
    /// Parses Go template text (no Docker preprocessing; see
    /// the `library::format` and `search::format` callers for `table` and the `\t` escapes).
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        if source.len() > MAX_TEMPLATE_LEN {
            return Err(error_at(
                source,
                TemplateErrorKind::Parse,
                0,
                None,
                format!("template is longer than {MAX_TEMPLATE_LEN} bytes"),
            ));
        }
        let nodes = parse::Parser::new(source).parse()?;
        Ok(Template {
            source: source.to_owned(),
            nodes,
        })
    }

    /// Fails on the first `.Field` not in `known`, with Go's exec message
    /// (`can't evaluate field X in type TYPE`).
    pub fn check_fields(&self, known: &[&str], type_name: &str) -> Result<(), TemplateError> {
        let mut bad = None;
        parse::walk_fields(&self.nodes, &mut |name, pos, text| {
            if bad.is_none() && !known.contains(&name) {
                bad = Some((name.to_owned(), pos, text.to_owned()));
            }
        });
        match bad {
            None => Ok(()),
            Some((name, pos, text)) => Err(error_at(
                &self.source,
                TemplateErrorKind::Exec,
                pos,
                Some(text),
                format!("can't evaluate field {name} in type {type_name}"),
            )),
        }
    }

    /// Renders the template with `ctx` as `.`, appending to `out`.
    pub fn execute(
        &self,
        ctx: &dyn Context,
        mode: Mode,
        out: &mut String,
    ) -> Result<(), TemplateError> {
        exec::Exec::new(&self.source, ctx, mode, out).run(&self.nodes)
    }

    /// The text as parsed.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// Builds an error at byte `pos` of `source`, with Go's line/column.
pub(crate) fn error_at(
    source: &str,
    kind: TemplateErrorKind,
    pos: usize,
    node: Option<String>,
    message: String,
) -> TemplateError {
    let pos = pos.min(source.len());
    let before = source.as_bytes().get(..pos).unwrap_or_default();
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(pos, |i| pos - i - 1);
    TemplateError {
        kind,
        line,
        column,
        offset: pos,
        node,
        message,
    }
}
