//! The search and tags pages' state machine: links parsed and printed,
//! searches and filters, stale answers, tag pages on demand, navigation to
//! an image, and the rows the page draws. Answers are given as messages
//! (the shell's network work is tested in tests/e2e/search.test.mjs).

use layerlens::app::search::{SearchEffect, SearchMsg, SearchPage, SearchRoute};
use layerlens::app::{update, views, Effect, Msg, Route, State};
use layerlens::registry::{RegistryError, TagPage};
use layerlens::search::{SearchError, SearchResult, SearchResults};

fn start(query: &str) -> (State, Vec<Effect>) {
    let mut state = State::default();
    let effects = update(
        &mut state,
        Msg::Started {
            query: query.to_owned(),
            page_url: "http://127.0.0.1:8080/".to_owned(),
        },
    );
    // Every start also opens the image library's store (tests/app/library.rs).
    let effects = effects
        .into_iter()
        .filter(|e| !matches!(e, Effect::Library(_)))
        .collect();
    (state, effects)
}

fn hook(state: &State) -> &'static str {
    layerlens::app::search::hook(state).unwrap_or(state.phase.hook())
}

fn result(name: &str, description: &str, stars: i64, official: bool) -> SearchResult {
    SearchResult {
        name: name.into(),
        description: description.into(),
        star_count: stars,
        is_official: official,
        is_automated: true,
    }
}

fn answer() -> SearchResults {
    SearchResults {
        num_results: 40,
        query: "busybox".into(),
        results: vec![
            result("busybox", "Busybox base image.", 3300, true),
            result("progrium/busybox", "", 70, false),
            result("hostile/busybox", "<img src=x>\nline two", 2, false),
            result("Not A Valid Name!", "", 1, false),
        ],
    }
}

fn search_request(effects: &[Effect]) -> u64 {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Search(SearchEffect::Search {
                request,
                query,
                proxy_base,
            }) => {
                assert_eq!(proxy_base, "/proxy/");
                assert_eq!(query.limit(), 25);
                Some(*request)
            }
            _ => None,
        })
        .expect("a search effect")
}

fn urls(effects: &[Effect]) -> Vec<(String, bool)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::SetUrl { query, push } => Some((query.clone(), *push)),
            _ => None,
        })
        .collect()
}

#[test]
fn search_links_round_trip() {
    for q in [
        "?page=search",
        "?page=search&q=busybox",
        "?page=search&q=my%20app&filter=is-official%3Dtrue&filter=stars%3D3",
        "?page=tags&repo=127.0.0.1:5000/e2e/tags",
    ] {
        assert_eq!(Route::parse(q).to_query(), q);
    }
    let r = Route::parse(
        "?page=search&q=a&filter=stars%3D3&filter=bogus%3D1&filter=stars%3D3&filter=stars",
    );
    assert_eq!(
        r.search.filters,
        ["stars=3"],
        "bad and repeated filters dropped"
    );
    let r = Route::parse("?page=nope&q=x");
    assert_eq!(r.search.page, None);
    assert_eq!(
        r.to_query(),
        "",
        "no page: nothing of the search is printed"
    );
    let r = Route::parse("?page=search&q=%0Aevil");
    assert_eq!(r.search.q, None, "control characters are dropped");
    let r = Route {
        search: SearchRoute {
            page: Some(SearchPage::Tags),
            repo: Some("ghcr.io/org/app".into()),
            ..SearchRoute::default()
        },
        ..Route::default()
    };
    assert_eq!(Route::parse(&r.to_query()), r);
}

#[test]
fn a_search_link_searches_and_filters_shrink_the_list() {
    let (mut state, effects) = start("?page=search&q=busybox");
    assert_eq!(hook(&state), "loading");
    let request = search_request(&effects);
    assert!(urls(&effects).is_empty(), "the link already says it");
    update(
        &mut state,
        Msg::Search(SearchMsg::Results {
            request,
            result: Ok(answer()),
        }),
    );
    assert_eq!(hook(&state), "ready");
    let view = views::search_page(&state).unwrap();
    assert_eq!(view.rows.len(), 4);
    assert_eq!(view.summary, "4 of 40 results for \"busybox\" shown");
    assert_eq!(view.rows[0].name, "busybox");
    assert!(view.rows[0].official);
    assert!(
        !view.rows[0].automated,
        "reported false, as the daemon does"
    );
    assert_eq!(view.rows[2].description, "<img src=x> line two");
    assert_eq!(
        view.rows[1].tags_link.as_deref(),
        Some("?page=tags&repo=progrium/busybox")
    );
    assert_eq!(
        view.rows[3].tags_link, None,
        "no link for a name that is no repository"
    );

    let effects = update(
        &mut state,
        Msg::Search(SearchMsg::OfficialChosen(Some(true))),
    );
    assert_eq!(
        urls(&effects),
        [(
            "?page=search&q=busybox&filter=is-official%3Dtrue".to_owned(),
            false
        )]
    );
    let view = views::search_page(&state).unwrap();
    assert_eq!(view.rows.len(), 1);
    assert_eq!(view.official, Some(true));
    assert_eq!(
        view.summary,
        "1 of 40 results for \"busybox\" shown (3 filtered out)"
    );

    update(&mut state, Msg::Search(SearchMsg::OfficialChosen(None)));
    update(&mut state, Msg::Search(SearchMsg::StarsChosen("60".into())));
    let names: Vec<String> = views::search_page(&state)
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["busybox", "progrium/busybox"]);
    assert_eq!(
        state.route().to_query(),
        "?page=search&q=busybox&filter=stars%3D60"
    );

    update(
        &mut state,
        Msg::Search(SearchMsg::StarsChosen("lots".into())),
    );
    assert_eq!(
        state.notice.as_deref(),
        Some("invalid filter 'stars=lots': strconv.Atoi: parsing \"lots\": invalid syntax")
    );
    assert_eq!(
        views::search_page(&state).unwrap().stars,
        "60",
        "the last good filter stays"
    );
}

#[test]
fn stale_answers_are_ignored_and_errors_are_shown() {
    let (mut state, effects) = start("?page=search&q=busybox");
    let first = search_request(&effects);
    let effects = update(
        &mut state,
        Msg::Search(SearchMsg::Submitted("alpine".into())),
    );
    let second = search_request(&effects);
    assert_eq!(urls(&effects), [("?page=search&q=alpine".to_owned(), true)]);
    update(
        &mut state,
        Msg::Search(SearchMsg::Results {
            request: first,
            result: Ok(answer()),
        }),
    );
    assert_eq!(hook(&state), "loading", "the old answer is ignored");
    update(
        &mut state,
        Msg::Search(SearchMsg::Results {
            request: second,
            result: Err(SearchError::Status(503)),
        }),
    );
    assert_eq!(hook(&state), "error");
    let view = views::search_page(&state).unwrap();
    assert_eq!(view.error.unwrap().detail, "Unexpected status code 503");

    let effects = update(
        &mut state,
        Msg::Search(SearchMsg::Submitted("ghcr.io/x/y".into())),
    );
    assert_eq!(hook(&state), "error");
    assert!(views::search_page(&state)
        .unwrap()
        .error
        .unwrap()
        .detail
        .contains("only Docker Hub can be searched"));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Search(_))));
}

#[test]
fn tags_are_fetched_page_by_page_and_open_images() {
    let (mut state, effects) = start("?page=tags&repo=127.0.0.1:5000/e2e/tags");
    assert_eq!(hook(&state), "loading");
    let Some(Effect::Search(SearchEffect::Tags {
        request,
        reference,
        next,
        ..
    })) = effects.first()
    else {
        panic!("a tags effect: {effects:?}");
    };
    assert_eq!(reference.to_string(), "127.0.0.1:5000/e2e/tags");
    assert_eq!(*next, None);
    let next_url = "http://127.0.0.1:5000/v2/e2e/tags/tags/list?n=50&last=t49";
    update(
        &mut state,
        Msg::Search(SearchMsg::Tags {
            request: *request,
            result: Ok(TagPage {
                tags: vec!["v1".into(), "v2".into()],
                next: Some(next_url.into()),
            }),
        }),
    );
    assert_eq!(hook(&state), "ready");
    let view = views::tags_page(&state).unwrap();
    assert!(view.more);
    assert_eq!(
        view.summary,
        "2 tags of 127.0.0.1:5000/e2e/tags, more available"
    );
    assert_eq!(view.rows[1].link, "?image=127.0.0.1:5000/e2e/tags:v2");

    let effects = update(&mut state, Msg::Search(SearchMsg::MoreTags));
    let Some(Effect::Search(SearchEffect::Tags { request, next, .. })) = effects.first() else {
        panic!("a second page: {effects:?}");
    };
    assert_eq!(next.as_deref(), Some(next_url));
    update(
        &mut state,
        Msg::Search(SearchMsg::Tags {
            request: *request,
            result: Ok(TagPage {
                tags: vec!["v3".into()],
                next: None,
            }),
        }),
    );
    let view = views::tags_page(&state).unwrap();
    assert_eq!(view.rows.len(), 3);
    assert!(!view.more);
    assert!(update(&mut state, Msg::Search(SearchMsg::MoreTags)).is_empty());

    // Following a tag's link leaves the search pages and loads the image.
    let effects = update(
        &mut state,
        Msg::Search(SearchMsg::Navigate(view.rows[0].link.clone())),
    );
    assert_eq!(
        urls(&effects)[0],
        ("?image=127.0.0.1:5000/e2e/tags:v1".to_owned(), true)
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Resolve(_))));
    assert_eq!(state.search.page, None);
    assert_eq!(hook(&state), "loading");
}

#[test]
fn a_tags_error_and_an_invalid_repository_are_shown() {
    let (state, effects) = start("?page=tags&repo=Bad%20Name");
    assert!(effects.is_empty());
    assert_eq!(hook(&state), "error");
    assert!(views::tags_page(&state).unwrap().error.is_some());

    let (mut state, effects) = start("?page=tags&repo=docker.io/library/busybox:1.36");
    let Some(Effect::Search(SearchEffect::Tags { request, .. })) = effects.first() else {
        panic!("{effects:?}");
    };
    update(
        &mut state,
        Msg::Search(SearchMsg::Tags {
            request: *request,
            result: Err(RegistryError::Status {
                registry: "registry-1.docker.io".into(),
                status: 500,
                object: "tags of docker.io/library/busybox".into(),
                message: "boom".into(),
            }),
        }),
    );
    assert_eq!(hook(&state), "error");
    let view = views::tags_page(&state).unwrap();
    assert!(view.error.is_some());
    assert_eq!(
        view.summary,
        "Listing the tags of docker.io/library/busybox:1.36 failed."
    );
    // The image page's link is unaffected by the search pages.
    let (state, _) = start("?image=alpine");
    assert_eq!(layerlens::app::search::hook(&state), None);
}
