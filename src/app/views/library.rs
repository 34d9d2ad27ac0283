//! The image library as the page shows it: the images page (`docker image
//! ls` as a table and as the format box's text, the filter and format
//! errors, the last action's report) and the line that says an image shown
//! was reopened from the library.

use crate::app::library::{Report, StoreStatus};
use crate::app::state::State;
use crate::dockerfmt::human::go_time_string_utc;
use crate::dockerfmt::human::human_size_decimal;
use crate::library::{LibraryError, LsOptions};
use crate::oci::Timestamp;

/// One row of the images table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryRowView {
    /// REPOSITORY (`<none>` for an image without a name).
    pub repository: String,
    /// TAG (`<none>` for an untagged image).
    pub tag: String,
    /// IMAGE ID: 12 hex characters of the config digest.
    pub id: String,
    /// The full IMAGE ID (`sha256:…`).
    pub full_id: String,
    /// CREATED as Docker prints it (`2 days ago`).
    pub created: String,
    /// SIZE as Docker prints it (`7.8MB`).
    pub size: String,
    /// DIGEST (shown with "show digests").
    pub digest: String,
    /// The manifest digest the row opens.
    pub manifest: String,
    /// What `rm` acts on: `repo:tag`, or the full ID for an untagged row.
    pub target: String,
    /// What "refresh" re-resolves: the tag, or `repo@digest` for an
    /// untagged row with a repository.
    pub refresh: Option<String>,
    /// Whether no tag names the IMAGE ID (`dangling=true` lists it;
    /// [`crate::library::Library::is_dangling`]).
    pub dangling: bool,
    /// The archive file the image was opened from (`file: app.tar` is
    /// shown); `None` for a registry's image.
    pub source: Option<String>,
}

/// The images page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryView {
    /// Where the library is kept and how much it holds.
    pub store: String,
    /// The last store failure.
    pub store_error: Option<String>,
    /// The filter box.
    pub filter: String,
    /// The format box.
    pub format: String,
    /// "Show digests".
    pub digests: bool,
    /// Why the filter is refused.
    pub filter_error: Option<String>,
    /// Why the format is refused, saying where.
    pub format_error: Option<String>,
    /// The column titles.
    pub columns: Vec<&'static str>,
    /// The rows.
    pub rows: Vec<LibraryRowView>,
    /// `docker image ls` with this filter, format and digests: text to copy.
    pub text: String,
    /// The last action's outcome.
    pub report: Option<Report>,
    /// The tag form.
    pub tag_source: String,
    /// The tag form's new name.
    pub tag_target: String,
    /// "Keep layers for offline file viewing".
    pub keep: bool,
    /// What kept layers take (`Kept layers: 2, 1.2 MB.`), when any are kept
    /// or the setting is on.
    pub kept: Option<String>,
    /// Why layers were skipped or not kept, and store failures of kept
    /// layers.
    pub keep_notes: Vec<String>,
}

/// The kept-layers line.
fn kept_line(state: &State) -> Option<String> {
    let k = &state.library.keep;
    if !k.on && k.kept.is_empty() {
        return None;
    }
    let (count, bytes) = crate::app::library::keep::kept_space(state);
    let layers = if count == 1 { "layer" } else { "layers" };
    let mut line = format!(
        "Kept for offline file viewing (Cache API): {count} {layers}, {}.",
        human_size_decimal(bytes)
    );
    if !k.keeping.is_empty() {
        line.push_str(&format!(" Keeping {} more…", k.keeping.len()));
    }
    Some(line)
}

/// What the store line says.
fn store_line(state: &State) -> String {
    let lib = &state.library;
    let count = lib.catalog.images().count();
    let images = if count == 1 {
        "1 image".to_owned()
    } else {
        format!("{count} images")
    };
    let stored = human_size_decimal(lib.catalog.stored_bytes());
    let line = match &lib.store {
        StoreStatus::Opening => "Opening the library…".to_owned(),
        StoreStatus::Persistent => {
            format!("Kept in this browser (IndexedDB): {images}, {stored} of manifests, configs and layer indexes.")
        }
        StoreStatus::TabOnly(why) => {
            format!("Kept in this tab only — nothing survives a reload: {why}. {images}, {stored}.")
        }
    };
    match lib.estimate {
        Some((usage, quota)) if quota > 0 => format!(
            "{line} This site uses {} of the {} the browser allows it.",
            human_size_decimal(usage),
            human_size_decimal(quota)
        ),
        _ => line,
    }
}

/// A template error with where it is: Docker's message, then the position
/// in the format box and the text from there.
fn format_error(format: &str, e: &crate::dockerfmt::TemplateError) -> String {
    let at = e.offset().min(format.len());
    let mut start = at;
    while !format.is_char_boundary(start) {
        start -= 1;
    }
    let rest: String = format[start..].chars().take(30).collect();
    let here = if rest.is_empty() {
        "at the end of the format".to_owned()
    } else {
        format!(
            "at character {} («{rest}»)",
            format[..start].chars().count() + 1
        )
    };
    format!("{e} — {here}")
}

/// The images page, when shown.
pub fn library(state: &State) -> Option<LibraryView> {
    let lib = &state.library;
    if !lib.page {
        return None;
    }
    let now = lib.now.unwrap_or(Timestamp::from_unix(0, 0));
    let filters: Vec<String> = lib.filter.split_whitespace().map(str::to_owned).collect();
    let table_opts = LsOptions {
        filters: filters.clone(),
        digests: lib.digests,
        ..LsOptions::default()
    };
    let mut filter_error = None;
    let mut format_error_text = None;
    let rows = match lib.catalog.ls_rows(&table_opts, now) {
        Ok(rows) => rows,
        Err(e) => {
            filter_error = Some(e.to_string());
            Vec::new()
        }
    };
    let format = lib.format.trim();
    let text_opts = LsOptions {
        format: (!format.is_empty()).then(|| format.to_owned()),
        ..table_opts
    };
    let text = match lib.catalog.ls(&text_opts, now) {
        Ok(t) => t,
        Err(LibraryError::Template(e)) => {
            format_error_text = Some(format_error(format, &e));
            String::new()
        }
        Err(_) => String::new(),
    };
    let mut columns = vec!["REPOSITORY", "TAG"];
    if lib.digests {
        columns.push("DIGEST");
    }
    columns.extend(["IMAGE ID", "CREATED", "SIZE"]);
    let rows = rows
        .iter()
        .map(|r| {
            let tagged = r.tag != "<none>";
            let named = r.repository != "<none>";
            let source = lib
                .catalog
                .image(&r.manifest)
                .and_then(|i| i.source())
                .map(str::to_owned);
            LibraryRowView {
                repository: r.repository.clone(),
                tag: r.tag.clone(),
                id: r.id_text(true),
                full_id: r.id.to_string(),
                created: r.created_since(now),
                size: r.size_text(),
                digest: r.digest.clone(),
                manifest: r.manifest.to_string(),
                target: if tagged {
                    format!("{}:{}", r.repository, r.tag)
                } else {
                    r.id.to_string()
                },
                // An image from a file has no registry to refresh from.
                refresh: if source.is_some() {
                    None
                } else if tagged {
                    Some(format!("{}:{}", r.repository, r.tag))
                } else if named {
                    Some(format!("{}@{}", r.repository, r.manifest))
                } else {
                    None
                },
                dangling: r.dangling,
                source,
            }
        })
        .collect();
    Some(LibraryView {
        store: store_line(state),
        store_error: lib.store_error.clone(),
        filter: lib.filter.clone(),
        format: lib.format.clone(),
        digests: lib.digests,
        filter_error,
        format_error: format_error_text,
        columns,
        rows,
        text,
        report: lib.report.clone(),
        tag_source: lib.tag_source.clone(),
        tag_target: lib.tag_target.clone(),
        keep: lib.keep.on,
        kept: kept_line(state),
        keep_notes: lib
            .keep
            .error
            .iter()
            .chain(lib.keep.notes.iter())
            .cloned()
            .collect(),
    })
}

/// The line shown above an image reopened from the library (with the
/// reference "Refresh" re-resolves), or above a failed load of an image the
/// library holds (with the image to open instead, e.g. offline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryBar {
    /// `From the library, stored 2026-11-28 06:00:00 +0000 UTC — nothing was fetched.`
    pub text: String,
    /// What "Refresh" loads from the registry.
    pub refresh: Option<String>,
    /// The manifest digest "Open from the library" reopens.
    pub open: Option<String>,
}

/// The bar: while the current image was reopened from the library, or when
/// loading an image the library holds failed.
pub fn library_bar(state: &State) -> Option<LibraryBar> {
    let cur = state.current.as_ref()?;
    if let Some(r) = state.library.reopen.as_ref().filter(|r| r.load == cur.load) {
        let source = crate::app::library::reopened_source(state);
        let stored = go_time_string_utc(r.recorded.seconds());
        return Some(match source {
            Some(file) => LibraryBar {
                text: format!(
                    "From the library (opened from file: {file}), stored {stored} — nothing was \
                     read. To view file contents, open {file} again."
                ),
                refresh: None,
                open: None,
            },
            None => LibraryBar {
                text: format!("From the library, stored {stored} — nothing was fetched."),
                refresh: Some(cur.input.clone()),
                open: None,
            },
        });
    }
    if !matches!(state.phase, crate::app::Phase::Error(_)) {
        return None;
    }
    let catalog = &state.library.catalog;
    let resolved = catalog.resolve(&cur.reference.to_string()).ok()?;
    let record = resolved
        .images
        .iter()
        .filter_map(|m| catalog.image(m))
        .max_by_key(|r| r.recorded())?;
    Some(LibraryBar {
        text: format!(
            "{} is in the library, stored {}: it opens without the network.",
            cur.reference.familiar_string(),
            go_time_string_utc(record.recorded().seconds())
        ),
        refresh: None,
        open: Some(record.manifest().to_string()),
    })
}
