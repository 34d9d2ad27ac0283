//! Docker's Go-template subset (`dockerfmt::Template`): parse, check the
//! fields, and execute as a row and as a table header against a small value.
#![no_main]
use layerlens::dockerfmt::template::{Context, HeaderContext, Mode};
use layerlens::dockerfmt::Template;
use libfuzzer_sys::fuzz_target;

struct Row;

impl Context for Row {
    fn field(&self, name: &str) -> Option<String> {
        match name {
            "Repository" => Some("docker.io/library/alpine".into()),
            "Tag" => Some("3.20".into()),
            "ID" => Some("sha256:0123456789ab".into()),
            "Size" => Some("7.8MB".into()),
            "Labels" => Some("a=1,b=2".into()),
            "Empty" => Some(String::new()),
            _ => None,
        }
    }

    fn json(&self) -> String {
        r#"{"Repository":"docker.io/library/alpine","Tag":"3.20"}"#.into()
    }

    fn type_name(&self) -> &str {
        "fuzz.Row"
    }
}

const HEADER: HeaderContext = HeaderContext(&[("Repository", "REPOSITORY"), ("Tag", "TAG")]);

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let template = match Template::parse(source) {
        Ok(t) => t,
        Err(e) => {
            assert!(e.offset() <= source.len());
            let _ = e.to_string();
            return;
        }
    };
    let _ = template.check_fields(&["Repository", "Tag"], "fuzz.Row");
    let mut out = String::new();
    if let Err(e) = template.execute(&Row, Mode::Row, &mut out) {
        let _ = e.to_string();
    }
    let mut out = String::new();
    let _ = template.execute(&HEADER, Mode::Header, &mut out);
});
