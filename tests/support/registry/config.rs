//! The registry's YAML configuration (distribution 2.8, `docs/configuration.md`), written by
//! the harness: filesystem storage in the temp dir, loopback address, deletes enabled, no
//! health checks, notifications, redis, cache or upload purging, quiet access log.

use std::path::Path;

/// The `auth:` section.
pub(crate) enum AuthSection<'a> {
    /// No `auth:` at all.
    Open,
    /// `auth: htpasswd:` with the harness's realm.
    Htpasswd { path: &'a Path },
    /// `auth: token:` pointing at our token server.
    Token {
        realm: &'a str,
        service: &'a str,
        issuer: &'a str,
        root_cert_bundle: &'a Path,
    },
}

/// The realm the htpasswd flavour announces in its Basic challenge.
pub(crate) const BASIC_REALM: &str = "layerlens-test";

/// A YAML scalar: JSON's double-quoted strings are valid YAML double-quoted scalars.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

fn path_str(path: &Path) -> String {
    quoted(path.to_str().expect("temp paths are UTF-8"))
}

/// A response header every harness registry adds (`http.headers`) with a value unique to it,
/// so readiness is declared only when *our* process answers, not whatever else took the port
/// between choosing it and the registry binding it.
pub(crate) const ID_HEADER: &str = "X-Layerlens-Harness-Id";

/// The whole configuration file; `id` is the value of [`ID_HEADER`].
pub(crate) fn render(storage: &Path, port: u16, id: &str, auth: &AuthSection<'_>) -> String {
    // No blobdescriptor cache: a test that alters a stored blob must see its new size.
    let mut yaml = format!(
        "version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  redirect:
    disable: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: layerlens-test-secret
  headers:
    {ID_HEADER}: [{id}]
",
        storage = path_str(storage),
        id = quoted(id),
    );
    match auth {
        AuthSection::Open => {}
        AuthSection::Htpasswd { path } => {
            yaml.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: {}\n    path: {}\n",
                quoted(BASIC_REALM),
                path_str(path)
            ));
        }
        AuthSection::Token {
            realm,
            service,
            issuer,
            root_cert_bundle,
        } => {
            yaml.push_str(&format!(
                "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                quoted(realm),
                quoted(service),
                quoted(issuer),
                path_str(root_cert_bundle)
            ));
        }
    }
    yaml
}

/// One htpasswd line, `user:bcrypt-hash`. Cost 4 (the minimum) because the registry checks
/// the hash on every request; the default cost would add a quarter second to each.
pub(crate) fn htpasswd_line(user: &str, password: &str) -> String {
    let hash = bcrypt::hash(password, 4).expect("bcrypt hash");
    format!("{user}:{hash}\n")
}
