//! The search and tags pages: `?page=search&q=TERM&filter=is-official%3Dtrue`
//! (Docker Hub searched like `docker search`, filtered as the daemon
//! filters) and `?page=tags&repo=NAME` (a repository's tags, page by page,
//! each opening `?image=NAME:TAG`).
//!
//! Everything the pages know lives in one [`SearchState`] field of the
//! [`State`]; their messages are [`SearchMsg`] inside [`Msg::Search`](crate::app::Msg::Search), their
//! effects [`SearchEffect`] inside [`Effect::Search`]. Pure like the rest of
//! `app/`: the shell performs the effects (`web/search.rs`).
//!
//! The test hook (`document.body.dataset.state`) on these pages: `idle`
//! before a term is searched, `loading` while a request runs, `ready` when
//! results or tags are shown (an empty list included), `error` with the
//! message shown.

use crate::oci::Reference;
use crate::registry::{Credentials, FetchErrorKind, RegistryError, TagPage};
use crate::search::{
    SearchError, SearchFilters, SearchQuery, SearchResult, SearchResults, MAX_TERM,
};

use super::errors::{invalid_reference, registry_error, ErrorKind, UserError};
use super::msg::{Effect, Next};
use super::route::Route;
use super::state::State;

/// Tags asked for per page.
pub const TAGS_PAGE: u32 = 50;
/// The most tags kept for one repository.
pub const MAX_TAGS: usize = 10_000;
/// The longest repository name kept from a link.
pub const MAX_REPO: usize = 512;

/// Which of the two pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchPage {
    /// `?page=search`.
    Search,
    /// `?page=tags`.
    Tags,
}

/// The search pages' part of a link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchRoute {
    /// The page, when the link names one of these.
    pub page: Option<SearchPage>,
    /// `q`: the search term.
    pub q: Option<String>,
    /// `filter` (repeatable): `stars=N`, `is-official=BOOL`.
    pub filters: Vec<String>,
    /// `repo`: the repository whose tags are listed.
    pub repo: Option<String>,
}

fn text_value(bytes: Vec<u8>, max: usize) -> Option<String> {
    String::from_utf8(bytes)
        .ok()
        .filter(|s| !s.chars().any(char::is_control))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s.len() <= max)
}

impl SearchRoute {
    /// Whether a query parameter belongs to these pages (`filter` may repeat).
    pub fn owns(name: &str) -> bool {
        matches!(name, "page" | "q" | "filter" | "repo")
    }

    /// Reads one decoded parameter; a value that does not parse is dropped.
    pub fn read(&mut self, name: &str, bytes: Vec<u8>) {
        match name {
            "page" => {
                self.page = match bytes.as_slice() {
                    b"search" => Some(SearchPage::Search),
                    b"tags" => Some(SearchPage::Tags),
                    _ => None,
                }
            }
            "q" => self.q = text_value(bytes, MAX_TERM),
            "repo" => self.repo = text_value(bytes, MAX_REPO),
            "filter" => {
                if let Some(f) = text_value(bytes, 64) {
                    if SearchFilters::parse(&[f.as_str()]).is_ok() && !self.filters.contains(&f) {
                        self.filters.push(f);
                    }
                }
            }
            _ => {}
        }
    }

    /// The parameters to print, in order (values not yet encoded).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        match self.page {
            None => return out,
            Some(SearchPage::Search) => {
                out.push(("page", "search".to_owned()));
                if let Some(q) = &self.q {
                    out.push(("q", q.clone()));
                }
                for f in &self.filters {
                    out.push(("filter", f.clone()));
                }
            }
            Some(SearchPage::Tags) => {
                out.push(("page", "tags".to_owned()));
                if let Some(r) = &self.repo {
                    out.push(("repo", r.clone()));
                }
            }
        }
        out
    }
}

/// Where a request of these pages is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Status {
    /// Nothing asked.
    #[default]
    Idle,
    /// A request runs.
    Loading,
    /// The answer is shown.
    Ready,
    /// The request failed; the message says why.
    Error(UserError),
}

impl Status {
    /// The test hook's value.
    pub fn hook(&self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Loading => "loading",
            Status::Ready => "ready",
            Status::Error(_) => "error",
        }
    }
}

/// Everything the search and tags pages know.
#[derive(Debug, Clone, Default)]
pub struct SearchState {
    /// The page shown (`None`: the image page).
    pub page: Option<SearchPage>,
    /// The search input's text.
    pub input: String,
    /// The term the results are for.
    pub term: Option<String>,
    /// The filters applied to the results.
    pub filters: SearchFilters,
    /// The results as Docker Hub answered (unfiltered).
    pub results: Vec<SearchResult>,
    /// How many repositories match in all, as Docker Hub said.
    pub num_results: i64,
    /// The search request's state.
    pub status: Status,
    /// The repository whose tags are listed, as written.
    pub repo: Option<String>,
    /// Its tags so far, in the registry's order.
    pub tags: Vec<String>,
    /// The next page of tags, when there is one.
    pub next: Option<String>,
    /// The tags request's state.
    pub tags_status: Status,
    request: u64,
}

impl SearchState {
    /// The results that pass the filters (what the table shows).
    pub fn shown(&self) -> Vec<SearchResult> {
        self.filters.apply(&self.results)
    }

    /// The link part for what is shown.
    pub fn route(&self) -> SearchRoute {
        SearchRoute {
            page: self.page,
            q: self
                .term
                .clone()
                .or_else(|| Some(self.input.trim().to_owned()).filter(|s| !s.is_empty())),
            filters: self.filters.to_args(),
            repo: self.repo.clone(),
        }
    }

    fn next_request(&mut self) -> u64 {
        self.request += 1;
        self.request
    }
}

/// What happened on the search pages.
#[derive(Debug)]
pub enum SearchMsg {
    /// The search input's text changed.
    InputChanged(String),
    /// A term was submitted.
    Submitted(String),
    /// The official filter: `None` any, `Some(true)` official only.
    OfficialChosen(Option<bool>),
    /// The minimum stars, as typed (empty: no filter).
    StarsChosen(String),
    /// A link of these pages was followed (its query string).
    Navigate(String),
    /// A search finished.
    Results {
        /// Which request.
        request: u64,
        /// The answer, or why not.
        result: Result<SearchResults, SearchError>,
    },
    /// A page of tags arrived.
    Tags {
        /// Which request.
        request: u64,
        /// The page, or why not.
        result: Result<TagPage, RegistryError>,
    },
    /// "More tags".
    MoreTags,
}

/// What the shell must do for these pages.
#[derive(Debug, Clone)]
pub enum SearchEffect {
    /// Search Docker Hub (through the proxy's search route).
    Search {
        /// The request, for [`SearchMsg::Results`].
        request: u64,
        /// What to ask.
        query: SearchQuery,
        /// Where the proxy is.
        proxy_base: String,
    },
    /// Fetch one page of a repository's tags.
    Tags {
        /// The request, for [`SearchMsg::Tags`].
        request: u64,
        /// The repository.
        reference: Reference,
        /// The page to fetch (`None`: the first).
        next: Option<String>,
        /// Credentials for its registry, when the user gave some.
        credentials: Option<Credentials>,
        /// Where the proxy is.
        proxy_base: String,
    },
}

/// The test hook while one of these pages is shown.
pub fn hook(state: &State) -> Option<&'static str> {
    match state.search.page? {
        SearchPage::Search => Some(state.search.status.hook()),
        SearchPage::Tags => Some(state.search.tags_status.hook()),
    }
}

fn search_error(e: &SearchError) -> UserError {
    let (kind, title, hint) = match e {
        e if e.is_usage() => (ErrorKind::InvalidReference, "Cannot search for this", ""),
        SearchError::Fetch(f) => match f.kind {
            FetchErrorKind::ProxyUnreachable => (
                ErrorKind::ProxyUnreachable,
                "The proxy did not answer",
                "Start it with: layerlens serve",
            ),
            FetchErrorKind::ProxyRefused => {
                (ErrorKind::ProxyRefused, "The proxy refused the search", "")
            }
            _ => (
                ErrorKind::RegistryUnreachable,
                "Docker Hub could not be reached",
                "Try again later; the proxy must be able to reach index.docker.io.",
            ),
        },
        _ => (
            ErrorKind::Registry,
            "Docker Hub's search failed",
            "Try again later.",
        ),
    };
    UserError {
        kind,
        title: title.to_owned(),
        detail: e.to_string(),
        hint: hint.to_owned(),
    }
}

fn start_search(state: &mut State, term: &str) -> Vec<Effect> {
    let s = &mut state.search;
    s.input = term.chars().take(MAX_TERM).collect();
    match SearchQuery::new(term.trim(), None) {
        Err(e) => {
            s.term = Some(term.trim().to_owned()).filter(|t| !t.is_empty());
            s.results.clear();
            s.status = Status::Error(search_error(&e));
            Vec::new()
        }
        Ok(query) => {
            s.term = Some(term.trim().to_owned());
            s.results.clear();
            s.num_results = 0;
            s.status = Status::Loading;
            let request = s.next_request();
            vec![Effect::Search(SearchEffect::Search {
                request,
                query,
                proxy_base: state.proxy_base.clone(),
            })]
        }
    }
}

fn fetch_tags(state: &mut State, next: Option<String>) -> Vec<Effect> {
    let Some(repo) = state.search.repo.clone() else {
        state.search.tags_status = Status::Idle;
        return Vec::new();
    };
    match Reference::parse_normalized(&repo) {
        Err(e) => {
            state.search.tags_status = Status::Error(invalid_reference(&repo, &e));
            Vec::new()
        }
        Ok(reference) => {
            let credentials = state.auth.saved.get(reference.registry_host()).cloned();
            state.search.tags_status = Status::Loading;
            let request = state.search.next_request();
            vec![Effect::Search(SearchEffect::Tags {
                request,
                reference,
                next,
                credentials,
                proxy_base: state.proxy_base.clone(),
            })]
        }
    }
}

/// Applies the search part of a link; `None` when the link names no search
/// page (the image page then handles it).
pub fn apply_route(state: &mut State, route: &Route) -> Option<Vec<Effect>> {
    let r = &route.search;
    let Some(page) = r.page else {
        state.search.page = None;
        return None;
    };
    state.search.page = Some(page);
    match page {
        SearchPage::Search => {
            state.search.filters = SearchFilters::parse(&r.filters).unwrap_or_default();
            match &r.q {
                None => {
                    state.search.term = None;
                    state.search.input.clear();
                    state.search.results.clear();
                    state.search.status = Status::Idle;
                    Some(Vec::new())
                }
                Some(q) => {
                    let same = state.search.term.as_ref() == Some(q)
                        && matches!(state.search.status, Status::Ready | Status::Loading);
                    if same {
                        return Some(Vec::new());
                    }
                    Some(start_search(state, q))
                }
            }
        }
        SearchPage::Tags => {
            let same = state.search.repo == r.repo
                && matches!(state.search.tags_status, Status::Ready | Status::Loading);
            if same {
                return Some(Vec::new());
            }
            state.search.repo = r.repo.clone();
            state.search.tags.clear();
            state.search.next = None;
            Some(fetch_tags(state, None))
        }
    }
}

/// Handles one message of these pages: their effects, and what the page's
/// own update does next (a link to follow).
pub fn update(state: &mut State, msg: SearchMsg) -> (Vec<Effect>, Next) {
    Next::collect(|next| handle(state, msg, next))
}

fn handle(state: &mut State, msg: SearchMsg, next: &mut Next) -> Vec<Effect> {
    match msg {
        SearchMsg::InputChanged(text) => {
            state.search.input = text.chars().take(MAX_TERM).collect();
            Vec::new()
        }
        SearchMsg::Submitted(term) => {
            state.search.page = Some(SearchPage::Search);
            let mut effects = start_search(state, &term);
            effects.push(state.set_url(true));
            effects
        }
        SearchMsg::OfficialChosen(official) => {
            let mut args = state.search.filters.to_args();
            args.retain(|a| !a.starts_with("is-official="));
            if let Some(o) = official {
                args.push(format!("is-official={o}"));
            }
            state.search.filters = SearchFilters::parse(&args).unwrap_or_default();
            vec![state.set_url(false)]
        }
        SearchMsg::StarsChosen(text) => {
            let mut args = state.search.filters.to_args();
            args.retain(|a| !a.starts_with("stars="));
            let text = text.trim();
            if !text.is_empty() {
                args.push(format!("stars={text}"));
            }
            match SearchFilters::parse(&args) {
                Ok(f) => {
                    state.search.filters = f;
                    state.notice = None;
                }
                Err(e) => state.notice = Some(e.to_string()),
            }
            vec![state.set_url(false)]
        }
        SearchMsg::Navigate(query) => {
            let query: String = query.chars().take(8192).collect();
            let effects = vec![Effect::SetUrl {
                query: query.clone(),
                push: true,
            }];
            *next = Next::Route(query);
            effects
        }
        SearchMsg::Results { request, result } => {
            if request != state.search.request {
                return Vec::new();
            }
            match result {
                Ok(r) => {
                    state.search.results = r.results;
                    state.search.num_results = r.num_results;
                    state.search.status = Status::Ready;
                }
                Err(e) => state.search.status = Status::Error(search_error(&e)),
            }
            Vec::new()
        }
        SearchMsg::Tags { request, result } => {
            if request != state.search.request {
                return Vec::new();
            }
            match result {
                Ok(page) => {
                    let room = MAX_TAGS.saturating_sub(state.search.tags.len());
                    state.search.tags.extend(page.tags.into_iter().take(room));
                    state.search.next = page.next.filter(|_| state.search.tags.len() < MAX_TAGS);
                    state.search.tags_status = Status::Ready;
                }
                Err(e) => state.search.tags_status = Status::Error(registry_error(&e)),
            }
            Vec::new()
        }
        SearchMsg::MoreTags => {
            if state.search.tags_status != Status::Ready {
                return Vec::new();
            }
            match state.search.next.take() {
                Some(next) => fetch_tags(state, Some(next)),
                None => Vec::new(),
            }
        }
    }
}
