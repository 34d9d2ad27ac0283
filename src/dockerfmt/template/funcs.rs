//! The template functions: Docker's (`json split join title lower upper
//! pad truncate`) and the Go built-ins of the subset, with Go's argument
//! checks and messages.

use super::exec::{EResult, Exec, Mode, Value};
use super::parse::Arg;
use super::MAX_PAD;

/// Docker's `basicFunctions` (`templates/templates.go`).
const DOCKER_FUNCTIONS: &[&str] = &[
    "json", "split", "join", "title", "lower", "upper", "pad", "truncate",
];
/// The Go built-ins this subset implements.
const GO_BUILTINS: &[&str] = &[
    "and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt", "le", "gt",
    "ge",
];
/// Go built-ins not implemented here (defined in Go, so not "not defined").
const GO_UNSUPPORTED: &[&str] = &["html", "js", "urlquery", "slice", "call"];

/// Parse-time check of a function name (Go checks names while parsing).
pub(crate) fn check_function(name: &str) -> Result<(), String> {
    if DOCKER_FUNCTIONS.contains(&name) || GO_BUILTINS.contains(&name) {
        Ok(())
    } else if GO_UNSUPPORTED.contains(&name) {
        Err(format!("function {name:?} is not supported here"))
    } else {
        Err(format!("function {name:?} not defined"))
    }
}

impl Exec<'_> {
    pub(super) fn call<'n>(
        &self,
        name: &str,
        at: &Arg,
        mut args: Vec<(Value, &'n Arg)>,
        piped: Option<(Value, &'n Arg)>,
    ) -> EResult<Value> {
        if let Some(p) = piped {
            args.push(p);
        }
        let arity = |want: usize| -> EResult<()> {
            if args.len() == want {
                Ok(())
            } else {
                self.err(
                    at.pos,
                    &at.text,
                    format!(
                        "wrong number of args for {name}: want {want} got {}",
                        args.len()
                    ),
                )
            }
        };
        if self.mode == Mode::Header
            && matches!(
                name,
                "json" | "split" | "join" | "title" | "lower" | "upper" | "truncate"
            )
        {
            arity(if matches!(name, "json" | "title" | "lower" | "upper") {
                1
            } else {
                2
            })?;
            return Ok(Value::Str(self.string(&args[0])?));
        }
        match name {
            "json" => {
                arity(1)?;
                Ok(Value::Str(match &args[0].0 {
                    Value::Ctx => self.ctx.json(),
                    Value::Str(s) => json_string(s, false),
                    Value::List(l) => format!(
                        "[{}]",
                        l.iter()
                            .map(|s| json_string(s, false))
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                    Value::Int(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Nil => "null".to_owned(),
                }))
            }
            "split" => {
                arity(2)?;
                let s = self.string(&args[0])?;
                let sep = self.string(&args[1])?;
                Ok(Value::List(if sep.is_empty() {
                    s.chars().map(String::from).collect()
                } else {
                    s.split(sep.as_str()).map(str::to_owned).collect()
                }))
            }
            "join" => {
                arity(2)?;
                let list = match &args[0].0 {
                    Value::List(l) => l.clone(),
                    other => return self.wrong_type(args[0].1, "[]string", other),
                };
                let sep = self.string(&args[1])?;
                Ok(Value::Str(list.join(&sep)))
            }
            "title" => {
                arity(1)?;
                Ok(Value::Str(title(&self.string(&args[0])?)))
            }
            "lower" => {
                arity(1)?;
                Ok(Value::Str(self.string(&args[0])?.to_lowercase()))
            }
            "upper" => {
                arity(1)?;
                Ok(Value::Str(self.string(&args[0])?.to_uppercase()))
            }
            "pad" => {
                arity(3)?;
                let s = self.string(&args[0])?;
                let before = self.width(&args[1])?;
                let after = self.width(&args[2])?;
                if s.is_empty() {
                    return Ok(Value::Str(s));
                }
                Ok(Value::Str(format!(
                    "{}{s}{}",
                    " ".repeat(before),
                    " ".repeat(after)
                )))
            }
            "truncate" => {
                arity(2)?;
                let s = self.string(&args[0])?;
                let n = self.int(&args[1])?;
                let n = usize::try_from(n).unwrap_or(0);
                if s.len() < n {
                    return Ok(Value::Str(s));
                }
                let mut cut = n.min(s.len());
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                Ok(Value::Str(s[..cut].to_owned()))
            }
            "len" => {
                arity(1)?;
                match &args[0].0 {
                    Value::Str(s) => Ok(Value::Int(s.len() as i64)),
                    Value::List(l) => Ok(Value::Int(l.len() as i64)),
                    other => self.err(
                        at.pos,
                        &at.text,
                        format!(
                            "error calling len: len of type {}",
                            other.type_name(self.ctx)
                        ),
                    ),
                }
            }
            "index" => {
                if args.is_empty() {
                    return arity(1).map(|_| Value::Nil);
                }
                let mut v = args[0].0.clone();
                for (i, a) in &args[1..] {
                    let n = match i {
                        Value::Int(n) => *n,
                        other => return self.wrong_type(a, "int", other),
                    };
                    v = match &v {
                        Value::List(l) => match usize::try_from(n).ok().and_then(|n| l.get(n)) {
                            Some(s) => Value::Str(s.clone()),
                            None => {
                                return self.err(
                                    at.pos,
                                    &at.text,
                                    format!("error calling index: index out of range: {n}"),
                                )
                            }
                        },
                        other => {
                            return self.err(
                                at.pos,
                                &at.text,
                                format!(
                                    "error calling index: can't index item of type {}",
                                    other.type_name(self.ctx)
                                ),
                            )
                        }
                    };
                }
                Ok(v)
            }
            "print" | "println" => {
                let mut s = String::new();
                for (k, (v, _)) in args.iter().enumerate() {
                    let is_str = |v: &Value| matches!(v, Value::Str(_));
                    // Sprint adds a space only between operands that are not
                    // strings; Sprintln always does.
                    if k > 0 && (name == "println" || (!is_str(v) && !is_str(&args[k - 1].0))) {
                        s.push(' ');
                    }
                    s.push_str(&self.print(v));
                }
                if name == "println" {
                    s.push('\n');
                }
                Ok(Value::Str(s))
            }
            "printf" => {
                if args.is_empty() {
                    return self.err(
                        at.pos,
                        &at.text,
                        "wrong number of args for printf: want at least 1 got 0",
                    );
                }
                let f = self.string(&args[0])?;
                let rest: Vec<Value> = args[1..].iter().map(|(v, _)| v.clone()).collect();
                Ok(Value::Str(self.printf(&f, &rest)))
            }
            "not" => {
                arity(1)?;
                Ok(Value::Bool(!args[0].0.truth()))
            }
            "and" | "or" => {
                if args.is_empty() {
                    return arity(1).map(|_| Value::Nil);
                }
                let want = name == "or";
                for (v, _) in &args {
                    if v.truth() == want {
                        return Ok(v.clone());
                    }
                }
                Ok(args.last().map(|(v, _)| v.clone()).unwrap_or(Value::Nil))
            }
            "eq" | "ne" | "lt" | "le" | "gt" | "ge" => {
                if name == "eq" {
                    if args.len() < 2 {
                        return arity(2).map(|_| Value::Nil);
                    }
                } else {
                    arity(2)?;
                }
                let first = &args[0].0;
                let mut result = false;
                for (other, _) in &args[1..] {
                    let ord = match (first, other) {
                        (Value::Str(a), Value::Str(b)) => a.cmp(b),
                        (Value::Int(a), Value::Int(b)) => a.cmp(b),
                        (Value::Bool(a), Value::Bool(b)) if matches!(name, "eq" | "ne") => a.cmp(b),
                        _ => {
                            return self.err(
                                at.pos,
                                &at.text,
                                format!("error calling {name}: incompatible types for comparison"),
                            )
                        }
                    };
                    use std::cmp::Ordering::*;
                    result = match name {
                        "eq" => ord == Equal,
                        "ne" => ord != Equal,
                        "lt" => ord == Less,
                        "le" => ord != Greater,
                        "gt" => ord == Greater,
                        _ => ord != Less,
                    };
                    if result && name == "eq" {
                        break;
                    }
                }
                Ok(Value::Bool(result))
            }
            _ => self.err(at.pos, &at.text, format!("function {name:?} not defined")),
        }
    }

    fn wrong_type<T>(&self, a: &Arg, want: &str, got: &Value) -> EResult<T> {
        self.err(
            a.pos,
            &a.text,
            format!(
                "wrong type for value; expected {want}; got {}",
                got.type_name(self.ctx)
            ),
        )
    }

    fn string(&self, (v, a): &(Value, &Arg)) -> EResult<String> {
        match v {
            Value::Str(s) => Ok(s.clone()),
            other => self.wrong_type(a, "string", other),
        }
    }

    fn int(&self, (v, a): &(Value, &Arg)) -> EResult<i64> {
        match v {
            Value::Int(n) => Ok(*n),
            other => self.wrong_type(a, "int", other),
        }
    }

    fn width(&self, arg: &(Value, &Arg)) -> EResult<usize> {
        let n = self.int(arg)?;
        if !(0..=MAX_PAD).contains(&n) {
            return self.err(
                arg.1.pos,
                &arg.1.text,
                format!("padding {n} is outside 0..={MAX_PAD}"),
            );
        }
        Ok(n as usize)
    }

    /// Go's `fmt.Sprintf` for the verbs format strings use: `%s %v %d %q %%`,
    /// with `-`, a width and (for strings) a precision.
    fn printf(&self, f: &str, args: &[Value]) -> String {
        let mut out = String::new();
        let mut chars = f.chars().peekable();
        let mut next_arg = args.iter();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let mut left = false;
            while let Some(&flag) = chars.peek() {
                match flag {
                    '-' => left = true,
                    '+' | ' ' | '#' | '0' => {}
                    _ => break,
                }
                chars.next();
            }
            let mut width = 0usize;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                width = (width * 10 + d as usize).min(MAX_PAD as usize);
                chars.next();
            }
            let mut precision = None;
            if chars.peek() == Some(&'.') {
                chars.next();
                let mut p = 0usize;
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                    p = (p * 10 + d as usize).min(MAX_PAD as usize);
                    chars.next();
                }
                precision = Some(p);
            }
            let Some(verb) = chars.next() else {
                out.push_str("%!(NOVERB)");
                break;
            };
            if verb == '%' {
                out.push('%');
                continue;
            }
            let Some(v) = next_arg.next() else {
                out.push_str(&format!("%!{verb}(MISSING)"));
                continue;
            };
            let mut s = match (verb, v) {
                ('s' | 'v', v) => self.print(v),
                ('d', Value::Int(n)) => n.to_string(),
                ('q', Value::Str(s)) => json_string(s, false),
                ('t', Value::Bool(b)) => b.to_string(),
                (verb, v) => format!("%!{verb}({}={})", v.type_name(self.ctx), self.print(v)),
            };
            if let (Some(p), 's' | 'v' | 'q') = (precision, verb) {
                s = s.chars().take(p).collect();
            }
            let len = s.chars().count();
            if len < width {
                let fill = " ".repeat(width - len);
                s = if left { s + &fill } else { fill + &s };
            }
            out.push_str(&s);
        }
        let extra: Vec<String> = next_arg
            .map(|v| format!("{}={}", v.type_name(self.ctx), self.print(v)))
            .collect();
        if !extra.is_empty() {
            out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
        }
        out
    }
}

/// Go's deprecated `strings.Title`: upper-cases the first letter of each word.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = !(c.is_alphanumeric() || c == '_');
    }
    out
}

/// A JSON string as Go's `encoding/json` writes it; `escape_html` also
/// escapes `<`, `>` and `&` (as `json.Marshal` does, and Docker's `{{json .}}`
/// shows: `"\u003cnone\u003e"`).
pub(crate) fn json_string(s: &str, escape_html: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if escape_html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A row's `{{json .}}` as docker/cli's `MarshalJSON` writes it: every one
/// of `fields` with its string value, keys sorted (Go's `json.Marshal` of a
/// `map[string]string`), HTML characters escaped.
pub(crate) fn json_object(fields: &[&str], value: impl Fn(&str) -> String) -> String {
    let mut names = fields.to_vec();
    crate::sort::sort(&mut names);
    let body: Vec<String> = names
        .iter()
        .map(|k| format!("{}:{}", json_string(k, true), json_string(&value(k), true)))
        .collect();
    format!("{{{}}}", body.join(","))
}
