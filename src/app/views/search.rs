//! The search and tags pages as plain values: what each row shows, already
//! as text, and the links it carries. Names and descriptions come from
//! Docker Hub and registries: the shell draws them as text nodes only.

use crate::oci::Reference;
use crate::search::format::description;

use super::super::errors::UserError;
use super::super::route::Route;
use super::super::search::{SearchPage, SearchRoute, Status};
use super::super::state::State;

/// One result row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRow {
    /// The repository name, as Docker Hub wrote it.
    pub name: String,
    /// The description on one line, not cut (the page wraps it).
    pub description: String,
    /// Stars.
    pub stars: String,
    /// Official image.
    pub official: bool,
    /// Automated (deprecated; reported false, as the daemon does).
    pub automated: bool,
    /// The tags page of this repository (`?page=tags&repo=NAME`), when the
    /// name is a valid repository name.
    pub tags_link: Option<String>,
}

/// The search page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchView {
    /// The input's text.
    pub input: String,
    /// The official filter (`None`: any).
    pub official: Option<bool>,
    /// The minimum stars (empty: none).
    pub stars: String,
    /// One line about what is shown.
    pub summary: String,
    /// The error, when the search failed.
    pub error: Option<UserError>,
    /// The rows that pass the filters.
    pub rows: Vec<ResultRow>,
}

/// One tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRow {
    /// The tag.
    pub tag: String,
    /// `?image=REPO:TAG`.
    pub link: String,
}

/// The tags page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagsView {
    /// The repository as written.
    pub repo: String,
    /// One line about what is shown.
    pub summary: String,
    /// The error, when listing failed.
    pub error: Option<UserError>,
    /// The tags so far.
    pub rows: Vec<TagRow>,
    /// Whether a next page exists ("More tags").
    pub more: bool,
}

fn error_of(status: &Status) -> Option<UserError> {
    match status {
        Status::Error(e) => Some(e.clone()),
        _ => None,
    }
}

/// The search page, when it is shown.
pub fn search_page(state: &State) -> Option<SearchView> {
    let s = &state.search;
    if s.page != Some(SearchPage::Search) {
        return None;
    }
    let shown = s.shown();
    let rows = shown
        .iter()
        .map(|r| ResultRow {
            name: r.name.clone(),
            description: description(r, false),
            stars: r.star_count.to_string(),
            official: r.is_official,
            automated: r.is_automated,
            tags_link: Reference::parse_normalized(&r.name).ok().map(|_| {
                Route {
                    search: SearchRoute {
                        page: Some(SearchPage::Tags),
                        repo: Some(r.name.clone()),
                        ..SearchRoute::default()
                    },
                    ..Route::default()
                }
                .to_query()
            }),
        })
        .collect();
    let term = s.term.clone().unwrap_or_default();
    let summary = match &s.status {
        Status::Idle => "Search Docker Hub as docker search does.".to_owned(),
        Status::Loading => format!("Searching Docker Hub for {term:?}…"),
        Status::Ready => {
            let filtered = s.results.len() - shown.len().min(s.results.len());
            let mut line = format!(
                "{} of {} results for {term:?} shown",
                shown.len(),
                s.num_results.max(s.results.len() as i64)
            );
            if filtered > 0 {
                line.push_str(&format!(" ({filtered} filtered out)"));
            }
            line
        }
        Status::Error(_) => format!("The search for {term:?} failed."),
    };
    Some(SearchView {
        input: s.input.clone(),
        official: s.filters.official(),
        stars: s.filters.stars().map(|n| n.to_string()).unwrap_or_default(),
        summary,
        error: error_of(&s.status),
        rows,
    })
}

/// The tags page, when it is shown.
pub fn tags_page(state: &State) -> Option<TagsView> {
    let s = &state.search;
    if s.page != Some(SearchPage::Tags) {
        return None;
    }
    let repo = s.repo.clone().unwrap_or_default();
    // `NAME:TAG` on the repository's familiar name (a tag or digest in it dropped).
    let base = Reference::parse_normalized(&repo)
        .map(|r| r.familiar_name())
        .unwrap_or_else(|_| repo.clone());
    let rows = s
        .tags
        .iter()
        .map(|t| TagRow {
            tag: t.clone(),
            link: Route {
                image: Some(format!("{base}:{t}")),
                ..Route::default()
            }
            .to_query(),
        })
        .collect();
    let summary = match &s.tags_status {
        Status::Idle => "Name a repository to list its tags.".to_owned(),
        Status::Loading => format!("Listing the tags of {repo}… ({} so far)", s.tags.len()),
        Status::Ready => format!(
            "{} tags of {repo}{}",
            s.tags.len(),
            if s.next.is_some() {
                ", more available"
            } else {
                ""
            }
        ),
        Status::Error(_) => format!("Listing the tags of {repo} failed."),
    };
    Some(TagsView {
        repo,
        summary,
        error: error_of(&s.tags_status),
        rows,
        more: s.next.is_some() && s.tags_status == Status::Ready,
    })
}
