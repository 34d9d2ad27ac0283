//! The page's links (`app::Route::parse`, total and bounded on any query)
//! and their printing: `parse(print(r)) == r` for every route parsed.
#![no_main]
use layerlens::app::Route;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let route = Route::parse(query);
    let printed = route.to_query();
    assert_eq!(Route::parse(&printed), route, "printed as {printed}");
    assert_eq!(Route::parse(&printed).to_query(), printed);
});
