//! What `docker search` prints: the default table `NAME DESCRIPTION STARS
//! OFFICIAL`, or a `--format` Go template over the fields of docker/cli's
//! `searchContext` (`.Name .Description .StarCount .IsOfficial
//! .IsAutomated`), with [`crate::dockerfmt`]'s template engine and tabwriter.
//!
//! A description has its CR and LF replaced by spaces and, unless
//! `--no-trunc`, is cut to 45 display columns with `…` (docker/cli's
//! `formatter.Ellipsis`). Booleans print `[OK]` or nothing in text, `true`
//! or `false` in `{{json .}}`.

use crate::dockerfmt::template::exec_json_object;
use crate::dockerfmt::template::{Context, HeaderContext, Template, TemplateError};
use crate::library::format::{preprocess, render_lines};

use super::SearchResult;

/// `docker search`'s default table.
pub const DEFAULT_TABLE: &str =
    "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}";
/// Description width in the table unless `--no-trunc`.
pub const DESCRIPTION_WIDTH: usize = 45;
/// The fields a template may use.
pub const FIELDS: &[&str] = &[
    "Name",
    "Description",
    "StarCount",
    "IsOfficial",
    "IsAutomated",
];
/// Go's type name for rows, as Docker's errors print it.
const ROW_TYPE: &str = "*registry.searchContext";

/// Columns a character takes in a terminal: 2 for East Asian wide and
/// full-width characters (the main blocks of Unicode's EastAsianWidth
/// W and F classes), 1 otherwise.
fn char_width(c: char) -> usize {
    let c = c as u32;
    let wide = matches!(c,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x2FFFD
        | 0x30000..=0x3FFFD);
    if wide {
        2
    } else {
        1
    }
}

/// docker/cli's `formatter.Ellipsis`: `s` cut to fit `max` display columns,
/// ending with `…` when cut; for `max` 1 the first character alone, for 0
/// nothing.
pub fn ellipsis(s: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    if max == 1 {
        return s.chars().next().map(String::from).unwrap_or_default();
    }
    let width: usize = s.chars().map(char_width).sum();
    if width <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    if out.is_empty() {
        return s.to_owned();
    }
    out.push('…');
    out
}

/// A result's description as the table shows it: CR and LF as spaces, other
/// control characters as `\xHH`, cut to [`DESCRIPTION_WIDTH`] columns when
/// `trunc`.
pub fn description(result: &SearchResult, trunc: bool) -> String {
    described(result, trunc, true)
}

fn described(result: &SearchResult, trunc: bool, escape: bool) -> String {
    let one_line = result.description.replace(['\n', '\r'], " ");
    let one_line = if escape {
        crate::dockerfmt::inert(&one_line)
    } else {
        one_line
    };
    if trunc {
        ellipsis(&one_line, DESCRIPTION_WIDTH)
    } else {
        one_line
    }
}

fn flag(value: bool, json: bool) -> String {
    match (value, json) {
        (true, true) => "true",
        (true, false) => "[OK]",
        (false, true) => "false",
        (false, false) => "",
    }
    .to_owned()
}

/// A prepared `docker search --format`.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchFormat {
    table: bool,
    template: Template,
}

impl SearchFormat {
    /// `""` or `table`: the default table; `json`; `table TEMPLATE`; or a
    /// bare `TEMPLATE`. Errors point into `source`
    /// ([`TemplateError::offset`]).
    pub fn new(source: &str) -> Result<SearchFormat, TemplateError> {
        let builtin = matches!(source, "" | "table");
        let format = if builtin { DEFAULT_TABLE } else { source };
        let table = format.starts_with("table");
        let (text, origin) = preprocess(format, table);
        let remap = |e: TemplateError| {
            if builtin {
                e.remap(&[], 0)
            } else {
                e.remap(&origin, source.len())
            }
        };
        let template = Template::parse(&text).map_err(remap)?;
        template.check_fields(FIELDS, ROW_TYPE).map_err(remap)?;
        Ok(SearchFormat { table, template })
    }

    /// Whether the output is a table with a header.
    pub fn is_table(&self) -> bool {
        self.table
    }

    /// The text `docker search` prints for `results`: one line per result,
    /// and for a table the header and tabwriter alignment.
    pub fn render(&self, results: &[SearchResult], trunc: bool) -> Result<String, TemplateError> {
        let rows = results.iter().map(|result| Row { result, trunc });
        render_lines(&self.template, self.table, &HEADER, rows)
    }
}

struct Row<'a> {
    result: &'a SearchResult,
    trunc: bool,
}

impl Row<'_> {
    fn value(&self, name: &str, json: bool) -> Option<String> {
        let r = self.result;
        Some(match name {
            "Name" if json => r.name.clone(),
            "Name" => crate::dockerfmt::inert(&r.name),
            "Description" => described(r, self.trunc, !json),
            "StarCount" => r.star_count.to_string(),
            "IsOfficial" => flag(r.is_official, json),
            "IsAutomated" => flag(r.is_automated, json),
            _ => return None,
        })
    }
}

impl Context for Row<'_> {
    fn field(&self, name: &str) -> Option<String> {
        self.value(name, false)
    }

    /// docker/cli's `MarshalJSON`: every field, keys sorted, booleans as
    /// `"true"`/`"false"`.
    fn json(&self) -> String {
        exec_json_object(FIELDS, |n| self.value(n, true).unwrap_or_default())
    }

    fn type_name(&self) -> &str {
        ROW_TYPE
    }
}

const HEADER: HeaderContext = HeaderContext(&[
    ("Name", "NAME"),
    ("Description", "DESCRIPTION"),
    ("StarCount", "STARS"),
    ("IsOfficial", "OFFICIAL"),
    ("IsAutomated", "AUTOMATED"),
]);

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str, description: &str, stars: i64, official: bool) -> SearchResult {
        SearchResult {
            name: name.into(),
            description: description.into(),
            star_count: stars,
            is_official: official,
            is_automated: false,
        }
    }

    #[test]
    fn the_default_table_truncates_descriptions_at_45_columns() {
        let results = [
            r("busybox", "Busybox base image.", 316, true),
            r(
                "progrium/busybox",
                "Minimal Busybox image with a package manager and much more text",
                50,
                false,
            ),
        ];
        let out = SearchFormat::new("")
            .unwrap()
            .render(&results, true)
            .unwrap();
        let expected = "\
NAME               DESCRIPTION                                     STARS     OFFICIAL
busybox            Busybox base image.                             316       [OK]
progrium/busybox   Minimal Busybox image with a package manager…   50        
";
        assert_eq!(out, expected);
        let full = SearchFormat::new("table")
            .unwrap()
            .render(&results, false)
            .unwrap();
        assert!(full.contains("and much more text"), "{full}");
    }

    #[test]
    fn templates_and_json_use_dockers_fields() {
        let results = [r("nginx", "Official build\nof Nginx.", 20000, true)];
        let f = SearchFormat::new("{{.Name}}: {{.StarCount}}").unwrap();
        assert_eq!(f.render(&results, true).unwrap(), "nginx: 20000\n");
        let f = SearchFormat::new("table {{.Name}}\\t{{.IsAutomated}}\\t{{.IsOfficial}}").unwrap();
        assert_eq!(
            f.render(&results, true).unwrap(),
            "NAME      AUTOMATED   OFFICIAL\nnginx                 [OK]\n"
        );
        let f = SearchFormat::new("{{json .}}").unwrap();
        assert_eq!(
            f.render(&results, true).unwrap(),
            "{\"Description\":\"Official build of Nginx.\",\"IsAutomated\":\"false\",\
             \"IsOfficial\":\"true\",\"Name\":\"nginx\",\"StarCount\":\"20000\"}\n"
        );
        let e = SearchFormat::new("{{.Stars}}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "template parsing error: template: :1:2: executing \"\" at <.Stars>: \
             can't evaluate field Stars in type *registry.searchContext"
        );
        assert_eq!(e.offset(), 2);
    }

    #[test]
    fn control_characters_are_shown_not_sent_to_the_terminal() {
        let hostile = r("evil\u{1b}[2J", "a\tb\u{1b}]0;title\u{7}\nc", 1, false);
        let f = SearchFormat::new("{{.Name}}|{{.Description}}").unwrap();
        assert_eq!(
            f.render(std::slice::from_ref(&hostile), false).unwrap(),
            "evil\\x1b[2J|a\\x09b\\x1b]0;title\\x07 c\n"
        );
        // JSON escapes them its own way.
        let json = SearchFormat::new("{{json .}}")
            .unwrap()
            .render(&[hostile], false)
            .unwrap();
        assert!(json.contains(r#""Name":"evil\u001b[2J""#), "{json}");
    }

    #[test]
    fn ellipsis_counts_display_columns() {
        assert_eq!(ellipsis("abcdef", 4), "abc…");
        assert_eq!(ellipsis("abc", 3), "abc");
        assert_eq!(ellipsis("日本語のテキスト", 7), "日本語…");
        assert_eq!(ellipsis("abc", 1), "a");
        assert_eq!(ellipsis("abc", 0), "");
    }
}
