//! `WWW-Authenticate` challenges (RFC 7235 §4.1, RFC 9110 §11.6.1) as
//! registries send them: `Bearer realm="…",service="…",scope="…"` for token
//! auth (the distribution "token authentication specification"), `Basic
//! realm="…"` for htpasswd-style registries, sometimes several in one header.

use std::collections::BTreeMap;

/// One parsed challenge: a scheme and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    scheme: String,
    params: BTreeMap<String, String>,
}

impl Challenge {
    /// The auth scheme, lower-cased (`bearer`, `basic`).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// A parameter by its lower-cased name (`realm`, `service`, `scope`, `error`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// All parameters, names lower-cased.
    pub fn params(&self) -> &BTreeMap<String, String> {
        &self.params
    }

    /// Whether this is a `Bearer` challenge, the token dance.
    pub fn is_bearer(&self) -> bool {
        self.scheme == "bearer"
    }

    /// Whether this is a `Basic` challenge: credentials go to the registry itself.
    pub fn is_basic(&self) -> bool {
        self.scheme == "basic"
    }
}

/// Why a challenge header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// The header is empty or has no auth scheme.
    #[error("WWW-Authenticate header has no auth scheme")]
    Empty,
    /// A quoted string is not closed.
    #[error("WWW-Authenticate header has an unterminated quoted string at byte {0}")]
    Unterminated(usize),
    /// Something other than `name=value` where a parameter was expected.
    #[error("WWW-Authenticate header is malformed at byte {0}")]
    Malformed(usize),
    /// The header is longer than any registry sends (8 KiB).
    #[error("WWW-Authenticate header is too long ({0} bytes)")]
    TooLong(usize),
}

const MAX_HEADER: usize = 8 * 1024;

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t') {
            self.i += 1;
        }
    }

    fn skip_ws_and_commas(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b',') {
            self.i += 1;
        }
    }

    fn token(&mut self) -> Option<&str> {
        let start = self.i;
        while self.i < self.s.len() && is_tchar(self.s[self.i]) {
            self.i += 1;
        }
        (self.i > start)
            .then(|| std::str::from_utf8(&self.s[start..self.i]).ok())
            .flatten()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Whether the next thing is `token =` (a parameter) rather than a new
    /// scheme or a token68 value.
    fn at_param(&self) -> bool {
        let mut j = self.i;
        let start = j;
        while j < self.s.len() && is_tchar(self.s[j]) {
            j += 1;
        }
        if j == start {
            return false;
        }
        while j < self.s.len() && matches!(self.s[j], b' ' | b'\t') {
            j += 1;
        }
        // `=` followed by `=` or end would be token68 padding, not a parameter.
        j < self.s.len() && self.s[j] == b'=' && self.s.get(j + 1) != Some(&b'=')
    }

    fn value(&mut self) -> Result<String, ChallengeError> {
        if self.peek() == Some(b'"') {
            let start = self.i;
            self.i += 1;
            let mut out = Vec::new();
            loop {
                match self.peek() {
                    None => return Err(ChallengeError::Unterminated(start)),
                    Some(b'"') => {
                        self.i += 1;
                        break;
                    }
                    Some(b'\\') => {
                        let Some(&c) = self.s.get(self.i + 1) else {
                            return Err(ChallengeError::Unterminated(start));
                        };
                        out.push(c);
                        self.i += 2;
                    }
                    Some(c) => {
                        out.push(c);
                        self.i += 1;
                    }
                }
            }
            String::from_utf8(out).map_err(|_| ChallengeError::Malformed(start))
        } else {
            let start = self.i;
            self.token()
                .map(str::to_owned)
                .ok_or(ChallengeError::Malformed(start))
        }
    }
}

/// Parses every challenge of one `WWW-Authenticate` header value.
///
/// Commas separate both challenges and parameters; a comma followed by
/// `name=` continues the current challenge, a comma followed by a bare token
/// starts a new one. Quoted values may contain commas and `\"` escapes.
pub fn parse_challenges(header: &str) -> Result<Vec<Challenge>, ChallengeError> {
    if header.len() > MAX_HEADER {
        return Err(ChallengeError::TooLong(header.len()));
    }
    let mut c = Cursor {
        s: header.as_bytes(),
        i: 0,
    };
    let mut out = Vec::new();
    c.skip_ws_and_commas();
    while c.i < c.s.len() {
        let at = c.i;
        let scheme = c
            .token()
            .ok_or(ChallengeError::Malformed(at))?
            .to_ascii_lowercase();
        let mut params = BTreeMap::new();
        c.skip_ws();
        // A token68 (e.g. `Negotiate abc==`) is kept under the empty name.
        if !c.at_param() && c.peek().is_some_and(|b| b != b',') {
            let start = c.i;
            while c.i < c.s.len() && !matches!(c.s[c.i], b',' | b' ' | b'\t') {
                c.i += 1;
            }
            let t68 = String::from_utf8_lossy(&c.s[start..c.i]).into_owned();
            params.insert(String::new(), t68);
        }
        loop {
            c.skip_ws_and_commas();
            if !c.at_param() {
                break;
            }
            let name = c.token().unwrap_or_default().to_ascii_lowercase();
            c.skip_ws();
            c.i += 1; // the '=' that at_param saw
            c.skip_ws();
            let value = c.value()?;
            params.insert(name, value);
        }
        out.push(Challenge { scheme, params });
        c.skip_ws_and_commas();
    }
    if out.is_empty() {
        return Err(ChallengeError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_bearer() {
        let h = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#;
        let cs = parse_challenges(h).unwrap();
        assert_eq!(cs.len(), 1);
        assert!(cs[0].is_bearer());
        assert_eq!(cs[0].param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(cs[0].param("service"), Some("registry.docker.io"));
        assert_eq!(cs[0].param("scope"), Some("repository:library/alpine:pull"));
    }

    #[test]
    fn quoted_commas_and_escapes() {
        let h = r#"Bearer realm="https://a/token",scope="repository:a/b:pull,push",error="insufficient_scope", x="say \"hi\"""#;
        let cs = parse_challenges(h).unwrap();
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0].param("scope"), Some("repository:a/b:pull,push"));
        assert_eq!(cs[0].param("error"), Some("insufficient_scope"));
        assert_eq!(cs[0].param("x"), Some(r#"say "hi""#));
    }

    #[test]
    fn several_challenges_in_one_header() {
        let h = r#"Basic realm="registry", Bearer realm="https://t/token", service=reg"#;
        let cs = parse_challenges(h).unwrap();
        assert_eq!(cs.len(), 2);
        assert!(cs[0].is_basic());
        assert_eq!(cs[0].param("realm"), Some("registry"));
        assert!(cs[1].is_bearer());
        assert_eq!(cs[1].param("service"), Some("reg"));
    }

    #[test]
    fn scheme_and_names_are_case_insensitive() {
        let cs = parse_challenges(r#"BASIC Realm="x""#).unwrap();
        assert!(cs[0].is_basic());
        assert_eq!(cs[0].param("realm"), Some("x"));
    }

    #[test]
    fn token68_and_bare_scheme() {
        let cs = parse_challenges("Negotiate abc==, Basic").unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].param(""), Some("abc=="));
        assert!(cs[1].is_basic());
    }

    #[test]
    fn broken_headers_are_errors() {
        assert_eq!(parse_challenges(""), Err(ChallengeError::Empty));
        assert_eq!(parse_challenges(" , "), Err(ChallengeError::Empty));
        assert!(matches!(
            parse_challenges(r#"Bearer realm="open"#),
            Err(ChallengeError::Unterminated(_))
        ));
        assert!(matches!(
            parse_challenges(&"a".repeat(10_000)),
            Err(ChallengeError::TooLong(_))
        ));
        assert!(matches!(
            parse_challenges("=x"),
            Err(ChallengeError::Malformed(0))
        ));
    }
}
