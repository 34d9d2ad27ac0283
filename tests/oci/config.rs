//! Image configs through the public API: what `docker image inspect` shows,
//! history-to-layer mapping and the config rules.

use layerlens::oci::{DocumentError, ImageConfig};

use layerlens_testkit::oci_docs::*;

const DOCKER_CONFIG: &str = r#"{"architecture":"arm64","variant":"v8","os":"linux","author":"someone",
  "created":"2024-02-29T12:00:00.5+02:00",
  "config":{"Hostname":"","User":"app","ExposedPorts":{"8080/tcp":{},"53/udp":{}},
    "Env":["PATH=/usr/bin:/bin","EMPTY=","EQ=a=b"],"Cmd":null,"Entrypoint":["/entry"],
    "Volumes":{"/data":{}},"WorkingDir":"/srv","Labels":{"org.opencontainers.image.title":"t"},
    "StopSignal":"SIGTERM","OnBuild":null,"Shell":["/bin/bash","-c"],
    "Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":30000000000,"Retries":3}},
  "container_config":{"Cmd":["ignored"]},
  "rootfs":{"type":"layers","diff_ids":[
    "sha256:1111111111111111111111111111111111111111111111111111111111111111",
    "sha256:2222222222222222222222222222222222222222222222222222222222222222"]},
  "history":[
    {"created":"2024-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:abc in /"},
    {"created_by":"/bin/sh -c #(nop)  ENV PATH=/usr/bin:/bin","empty_layer":true},
    {"created_by":"RUN apk add curl","comment":"buildkit.dockerfile.v0"},
    {"created_by":"CMD [\"sh\"]","empty_layer":true}]}"#;

#[test]
fn config_keeps_what_docker_inspect_shows() {
    let v = verified(DOCKER_CONFIG.as_bytes());
    let c = ImageConfig::parse(&v).unwrap();
    assert_eq!(c.digest(), v.digest());
    assert_eq!(
        (c.os(), c.architecture(), c.variant()),
        ("linux", "arm64", Some("v8"))
    );
    assert_eq!(c.platform().to_string(), "linux/arm64/v8");
    assert_eq!(c.author(), Some("someone"));
    let t = c.created_time().unwrap().unwrap();
    assert_eq!((t.seconds(), t.nanos()), (1_709_200_800, 500_000_000));
    let cc = c.config();
    assert_eq!(cc.user(), Some("app"));
    assert_eq!(
        cc.exposed_ports().collect::<Vec<_>>(),
        ["53/udp", "8080/tcp"]
    );
    assert_eq!(
        cc.env().collect::<Vec<_>>(),
        ["PATH=/usr/bin:/bin", "EMPTY=", "EQ=a=b"]
    );
    assert_eq!(cc.env_pairs().nth(2), Some(("EQ", "a=b")));
    assert_eq!(cc.cmd(), None);
    assert_eq!(cc.entrypoint(), Some(&["/entry".to_owned()][..]));
    assert_eq!(cc.volumes().collect::<Vec<_>>(), ["/data"]);
    assert_eq!(cc.working_dir(), Some("/srv"));
    assert_eq!(
        cc.labels()
            .get("org.opencontainers.image.title")
            .map(String::as_str),
        Some("t")
    );
    assert_eq!(cc.stop_signal(), Some("SIGTERM"));
    assert!(cc.on_build().is_empty());
    assert_eq!(cc.shell().len(), 2);
    let hc = cc.healthcheck().unwrap();
    assert_eq!(
        (hc.test().len(), hc.interval(), hc.retries(), hc.timeout()),
        (2, Some(30_000_000_000), Some(3), None)
    );
    assert_eq!(c.diff_ids().len(), 2);
}

#[test]
fn history_entries_map_to_their_layers() {
    let c = ImageConfig::parse(&verified(DOCKER_CONFIG.as_bytes())).unwrap();
    let steps: Vec<Option<usize>> = c.history_steps().iter().map(|s| s.layer).collect();
    assert_eq!(steps, [Some(0), None, Some(1), None]);
    assert!(c.history_matches_layers());
    assert_eq!(
        c.layer_history(1).unwrap().created_by(),
        Some("RUN apk add curl")
    );
    assert_eq!(
        c.layer_history(1).unwrap().comment(),
        Some("buildkit.dockerfile.v0")
    );
    assert!(c.layer_history(2).is_none());

    // More non-empty steps than layers: the extra ones map to nothing.
    let short = DOCKER_CONFIG
        .replace(
            r#""sha256:2222222222222222222222222222222222222222222222222222222222222222"]"#,
            "]",
        )
        .replace(
            r#""sha256:1111111111111111111111111111111111111111111111111111111111111111","#,
            r#""sha256:1111111111111111111111111111111111111111111111111111111111111111""#,
        );
    let c = ImageConfig::parse(&verified(short.as_bytes())).unwrap();
    assert_eq!(c.diff_ids().len(), 1);
    let steps: Vec<Option<usize>> = c.history_steps().iter().map(|s| s.layer).collect();
    assert_eq!(steps, [Some(0), None, None, None]);
    assert!(!c.history_matches_layers());
}

#[test]
fn config_rules() {
    let bad = |from: &str, to: &str| {
        let doc = DOCKER_CONFIG.replace(from, to);
        assert_ne!(doc, DOCKER_CONFIG, "replacement {from:?} did not apply");
        ImageConfig::parse(&verified(doc.as_bytes())).unwrap_err()
    };
    let e = bad(r#""EMPTY=""#, r#""=value""#);
    assert!(
        matches!(&e, DocumentError::Json { path, .. } if path == "config.Env[1]"),
        "{e}"
    );
    let e = bad(r#""EMPTY=""#, r#""MULTI=a\nb""#);
    assert!(e.to_string().contains("NAME=value"), "{e}");
    let e = bad(r#""type":"layers""#, r#""type":"tarballs""#);
    assert!(
        matches!(&e, DocumentError::Json { path, .. } if path == "rootfs.type"),
        "{e}"
    );
    let e = bad(r#""Volumes":{"/data":{}}"#, r#""Volumes":{"/data":"yes"}"#);
    assert!(
        matches!(&e, DocumentError::Json { path, .. } if path == "config.Volumes./data"),
        "{e}"
    );
    let e = bad(r#""architecture":"arm64","#, "");
    assert!(
        e.to_string().contains("missing field `architecture`"),
        "{e}"
    );
    let e = bad(r#""empty_layer":true}]"#, r#""empty_layer":"yes"}]"#);
    assert!(
        matches!(&e, DocumentError::Json { path, .. } if path == "history[3].empty_layer"),
        "{e}"
    );
    // A timestamp that is not RFC 3339 is kept, and reported when asked for.
    let doc = DOCKER_CONFIG.replace("2024-02-29T12:00:00.5+02:00", "yesterday");
    let c = ImageConfig::parse(&verified(doc.as_bytes())).unwrap();
    assert_eq!(c.created(), Some("yesterday"));
    assert!(c.created_time().unwrap().is_err());
}
