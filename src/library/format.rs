//! `docker image ls --format`: choosing the format (docker/cli
//! `NewImageFormat`), Docker's preprocessing (`table` prefix, `json`, the
//! `\t` and `\n` escapes), rendering each row, and the table header aligned
//! by the tabwriter.

use crate::dockerfmt::tabwriter::{align, DOCKER_TABLE};
use crate::dockerfmt::template::exec_json_object;
use crate::dockerfmt::template::{Context, HeaderContext, Mode, Template, TemplateError};
use crate::library::rows::{rows, Row, FIELDS};
use crate::library::{Filters, Library, LibraryError};
use crate::oci::Timestamp;

/// `docker image ls`'s default table.
pub const DEFAULT_TABLE: &str = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
/// The default table with `--digests`.
pub const DEFAULT_TABLE_DIGESTS: &str = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
/// `--quiet`.
pub const QUIET: &str = "{{.ID}}";
/// `--format raw`.
pub const RAW: &str = "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n";
/// `--format raw --digests`.
pub const RAW_DIGESTS: &str = "repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n";

/// Go's type name for rows, as Docker's errors print it.
const ROW_TYPE: &str = "*formatter.imageContext";

/// A prepared `--format`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFormat {
    format: String,
    table: bool,
    template: Template,
}

impl ImageFormat {
    /// Docker's choice and preparation of the format: `table` (the default
    /// table, with a DIGEST column for `digests`, or `{{.ID}}` for `quiet`),
    /// `raw`, `json`, `table TEMPLATE` (a DIGEST column is appended for
    /// `digests` unless the template has `{{.Digest}}`), or a bare
    /// `TEMPLATE`. The text after `table` is trimmed of spaces and the
    /// two-character escapes `\t` and `\n` become a tab and a newline.
    /// Errors point into `source` ([`TemplateError::offset`]).
    pub fn new(source: &str, quiet: bool, digests: bool) -> Result<ImageFormat, TemplateError> {
        let format = match source {
            "table" if quiet => QUIET.to_owned(),
            "table" if digests => DEFAULT_TABLE_DIGESTS.to_owned(),
            "table" => DEFAULT_TABLE.to_owned(),
            "raw" if quiet => "image_id: {{.ID}}".to_owned(),
            "raw" if digests => RAW_DIGESTS.to_owned(),
            "raw" => RAW.to_owned(),
            other => {
                let mut f = other.to_owned();
                if f.starts_with("table") && digests && !f.contains("{{.Digest}}") {
                    f.push_str("\t{{.Digest}}");
                }
                f
            }
        };
        let table = format.starts_with("table");
        let (text, origin) = preprocess(&format, table);
        // Offsets point into what the user typed; a built-in format (chosen
        // by a keyword) is not the user's text, so its errors point at 0.
        let builtin = matches!(source, "table" | "raw");
        let remap = |e: TemplateError| {
            if builtin {
                e.remap(&[], 0)
            } else {
                e.remap(&origin, source.len())
            }
        };
        let template = Template::parse(&text).map_err(remap)?;
        template.check_fields(FIELDS, ROW_TYPE).map_err(remap)?;
        Ok(ImageFormat {
            format,
            table,
            template,
        })
    }

    /// Whether the output is a table with a header.
    pub fn is_table(&self) -> bool {
        self.table
    }

    /// docker/cli's `needDigest`: `--digests`, or `{{.Digest}}` in the format.
    pub fn needs_digest(&self, digests: bool) -> bool {
        digests || self.format.contains("{{.Digest}}")
    }

    /// Renders rows: each row's text and a newline; a table gets the header
    /// row (the template run on the column names) and tabwriter alignment.
    pub fn render(
        &self,
        rows: &[Row],
        now: Timestamp,
        trunc: bool,
    ) -> Result<String, TemplateError> {
        let contexts = rows.iter().map(|row| RowContext { row, now, trunc });
        render_lines(&self.template, self.table, &HEADER, contexts)
    }
}

/// docker/cli's formatter output: the template run on each row, one line
/// each; for a table, first the header (the template run on `header`, the
/// column names) and the whole text aligned as Docker's tabwriter does.
pub(crate) fn render_lines<C: Context>(
    template: &Template,
    table: bool,
    header: &HeaderContext,
    rows: impl Iterator<Item = C>,
) -> Result<String, TemplateError> {
    let mut body = String::new();
    for ctx in rows {
        template.execute(&ctx, Mode::Row, &mut body)?;
        body.push('\n');
    }
    if !table {
        return Ok(body);
    }
    let mut text = String::new();
    // Docker ignores errors in the header (it prints what was rendered).
    let _ = template.execute(header, Mode::Header, &mut text);
    text.push('\n');
    text.push_str(&body);
    Ok(align(&text, DOCKER_TABLE))
}

/// Docker's `preFormat`: strip `table`, trim spaces, replace `\t` and `\n`;
/// returns the text and, for each of its bytes, the offset in `format`.
pub(crate) fn preprocess(format: &str, table: bool) -> (String, Vec<usize>) {
    let (start, body) = if table {
        (5, &format[5..])
    } else if format == "json" {
        return ("{{json .}}".to_owned(), vec![0; 10]);
    } else {
        (0, format)
    };
    let trimmed_start = body.len() - body.trim_start_matches(' ').len();
    let body = body.trim_matches(' ');
    let base = start + trimmed_start;
    let mut text = String::with_capacity(body.len());
    let mut origin = Vec::with_capacity(body.len() + 1);
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'\\', Some(b't')) | (b'\\', Some(b'n')) => {
                text.push(if b[i + 1] == b't' { '\t' } else { '\n' });
                origin.push(base + i);
                i += 2;
            }
            _ => {
                let ch_len = body[i..].chars().next().map_or(1, char::len_utf8);
                text.push_str(&body[i..i + ch_len]);
                origin.extend((0..ch_len).map(|k| base + i + k));
                i += ch_len;
            }
        }
    }
    origin.push(base + b.len());
    (text, origin)
}

struct RowContext<'a> {
    row: &'a Row,
    now: Timestamp,
    trunc: bool,
}

impl Context for RowContext<'_> {
    fn field(&self, name: &str) -> Option<String> {
        self.row.field(name, self.now, self.trunc)
    }

    /// docker/cli's `MarshalJSON` of the image context: every field, keys
    /// sorted, HTML characters escaped (`"\u003cnone\u003e"`).
    fn json(&self) -> String {
        exec_json_object(FIELDS, |n| self.field(n).unwrap_or_default())
    }

    fn type_name(&self) -> &str {
        ROW_TYPE
    }
}

/// The table header: each field's column name.
const HEADER: HeaderContext = HeaderContext(&[
    ("ID", "IMAGE ID"),
    ("Repository", "REPOSITORY"),
    ("Tag", "TAG"),
    ("Digest", "DIGEST"),
    ("CreatedSince", "CREATED"),
    ("CreatedAt", "CREATED AT"),
    ("Size", "SIZE"),
    ("VirtualSize", "SIZE"),
    ("Containers", "CONTAINERS"),
    ("SharedSize", "SHARED SIZE"),
    ("UniqueSize", "UNIQUE SIZE"),
]);

/// `docker image ls [OPTIONS] [REPOSITORY[:TAG]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LsOptions {
    /// `--filter` arguments (`key=value`).
    pub filters: Vec<String>,
    /// The optional `REPOSITORY[:TAG]` argument (a `reference` filter).
    pub name: Option<String>,
    /// `--format` (`table` when absent).
    pub format: Option<String>,
    /// `--quiet`.
    pub quiet: bool,
    /// `--digests`.
    pub digests: bool,
    /// `--no-trunc`.
    pub no_trunc: bool,
}

impl Library {
    /// The rows `docker image ls` would print, for a view that draws its own
    /// table. The format matters only through `{{.Digest}}` (which rows
    /// repeat per digest).
    pub fn ls_rows(&self, opts: &LsOptions, now: Timestamp) -> Result<Vec<Row>, LibraryError> {
        let format = self.ls_format(opts)?;
        let summaries = self.summaries(&ls_filters(opts)?, now)?;
        Ok(rows(
            &summaries,
            format.needs_digest(opts.digests),
            opts.digests,
        ))
    }

    /// `docker image ls` as text. The format is checked first, so an invalid
    /// template is reported even when nothing would be listed.
    pub fn ls(&self, opts: &LsOptions, now: Timestamp) -> Result<String, LibraryError> {
        let format = self.ls_format(opts)?;
        let summaries = self.summaries(&ls_filters(opts)?, now)?;
        let rows = rows(&summaries, format.needs_digest(opts.digests), opts.digests);
        Ok(format.render(&rows, now, !opts.no_trunc)?)
    }

    fn ls_format(&self, opts: &LsOptions) -> Result<ImageFormat, LibraryError> {
        let source = opts
            .format
            .as_deref()
            .filter(|f| !f.is_empty())
            .unwrap_or("table");
        Ok(ImageFormat::new(source, opts.quiet, opts.digests)?)
    }
}

fn ls_filters(opts: &LsOptions) -> Result<Filters, LibraryError> {
    let mut filters = Filters::parse(&opts.filters)?;
    if let Some(name) = opts.name.as_deref().filter(|n| !n.is_empty()) {
        filters.add("reference", name);
    }
    Ok(filters)
}
