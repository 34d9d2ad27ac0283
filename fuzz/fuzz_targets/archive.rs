//! Archives opened in place (`archive`): the member index of an outer tar
//! (`members::index` over a `Vec<u8>`), member lookups (links followed),
//! then `LocalImages::open` over a `TarSource` — `docker save` (both
//! layouts) and OCI archives — and picking an image, as `archive::open` does.
#![no_main]
use layerlens::archive::{self, members, LocalImages, TarSource};
use layerlens_fuzz::block_on;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let tar = data.to_vec();
    let Ok(index) = block_on(members::index(&tar)) else {
        return;
    };
    let names: Vec<String> = index.files().map(str::to_owned).collect();
    for name in names.iter().take(64) {
        if let Ok(Some(m)) = index.file(name) {
            let _ = format!("{m:?}");
        }
    }
    let _ = index.file("index.json");
    let _ = index.unsafe_names().count();
    let Ok(source) = block_on(TarSource::open(tar)) else {
        return;
    };
    if let Ok(images) = block_on(LocalImages::open(&source)) {
        if let Ok(named) = images.select(None) {
            let _ = images.path(&named.digest);
            let _ = images.media_type(&named.digest);
        }
        for named in &images.images {
            let _ = images.select(named.names.first().map(String::as_str));
        }
    }
    let _ = block_on(archive::open(source, None, "localhost/fuzz"));
});
