//! A [`LayerFailure`] as bytes (see the parent module for the report around
//! it), so the page gives the same hint for a layer that failed in a worker
//! as for one that failed on its own thread.
//!
//! ```text
//! failure: u8:tag
//!   0 fetch:       registry error
//!   1 scan:        scan fault
//!   2 oversize:    varint:total
//!   3 interrupted: varint:received varint:total u8:fetch kind bytes:message
//!   4 truncated:   varint:received varint:total scan fault
//!   5 worker:      bytes:message
//!   6 library:     u8:has reason [bytes:reason]
//!   7 other:       bytes:message
//! scan fault:      u8:class u8:stream varint:offset bytes:message
//! registry error:  u8:tag
//!   0 fetch          bytes:registry u8:fetch kind bytes:message
//!   1 credentials    bytes:registry bytes:realm
//!   2 unauthorized   bytes:registry bytes:message
//!   3 denied         bytes:registry bytes:message
//!   4 not found      u8:what bytes:object bytes:message
//!   5 rate limited   bytes:registry 3 × (u8:has [varint]) (limit, remaining, window)
//!   6 status         bytes:registry varint:status bytes:object bytes:message
//!   7 verify         bytes:object u8:(1 size varint varint | 2 digest bytes bytes)
//!   8 wait too long  bytes:registry varint:status bytes:object varint:seconds
//!   9 length         bytes:registry bytes:object varint:announced varint:expected
//! ```
//!
//! A registry error of another kind (a malformed challenge, token answer or
//! header) is sent as failure 7 with its text: its parts have no wire form.

use crate::inspect::{LayerFailure, ScanClass, ScanFault};
use crate::layer::wire::{put_bytes, put_varint, Reader};
use crate::layer::{LayerIndexError, Stream};
use crate::oci::VerifyError;
use crate::registry::{FetchError, FetchErrorKind, Missing, RateLimit, RegistryError};

fn put_text(out: &mut Vec<u8>, s: &str) {
    put_bytes(out, s.as_bytes());
}

fn text(r: &mut Reader<'_>) -> Result<String, LayerIndexError> {
    let b = r.bytes()?;
    Ok(String::from_utf8_lossy(b).into_owned())
}

fn put_option(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        Some(v) => {
            out.push(1);
            put_varint(out, v);
        }
        None => out.push(0),
    }
}

fn option(r: &mut Reader<'_>) -> Result<Option<u64>, LayerIndexError> {
    match r.byte()? {
        0 => Ok(None),
        1 => Ok(Some(r.varint()?)),
        _ => Err(r.fail("bad optional number")),
    }
}

fn put_fetch_error(out: &mut Vec<u8>, e: &FetchError) {
    out.push(match e.kind {
        FetchErrorKind::Network => 0,
        FetchErrorKind::ProxyUnreachable => 1,
        FetchErrorKind::ProxyRefused => 2,
        FetchErrorKind::ProxyFailed => 3,
        FetchErrorKind::Archive => 4,
    });
    put_text(out, &e.message);
}

fn fetch_error(r: &mut Reader<'_>) -> Result<FetchError, LayerIndexError> {
    let kind = match r.byte()? {
        0 => FetchErrorKind::Network,
        1 => FetchErrorKind::ProxyUnreachable,
        2 => FetchErrorKind::ProxyRefused,
        3 => FetchErrorKind::ProxyFailed,
        4 => FetchErrorKind::Archive,
        _ => return Err(r.fail("unknown fetch error kind")),
    };
    Ok(FetchError {
        message: text(r)?,
        kind,
    })
}

fn put_scan(out: &mut Vec<u8>, s: &ScanFault) {
    out.push(match s.class {
        ScanClass::Corrupt => 0,
        ScanClass::Limit => 1,
        ScanClass::Unsupported => 2,
    });
    out.push(match s.stream {
        Stream::Compressed => 0,
        Stream::Tar => 1,
    });
    put_varint(out, s.offset);
    put_text(out, &s.message);
}

fn scan(r: &mut Reader<'_>) -> Result<ScanFault, LayerIndexError> {
    let class = match r.byte()? {
        0 => ScanClass::Corrupt,
        1 => ScanClass::Limit,
        2 => ScanClass::Unsupported,
        _ => return Err(r.fail("unknown scan error class")),
    };
    let stream = match r.byte()? {
        0 => Stream::Compressed,
        1 => Stream::Tar,
        _ => return Err(r.fail("unknown stream")),
    };
    let offset = r.varint()?;
    Ok(ScanFault {
        class,
        message: text(r)?,
        stream,
        offset,
    })
}

/// The registry error as bytes, or `false` (nothing written) when its kind
/// has no wire form.
fn put_registry(out: &mut Vec<u8>, e: &RegistryError) -> bool {
    match e {
        RegistryError::Fetch { registry, source } => {
            out.push(0);
            put_text(out, registry);
            put_fetch_error(out, source);
        }
        RegistryError::CredentialsRequired { registry, realm } => {
            out.push(1);
            put_text(out, registry);
            put_text(out, realm);
        }
        RegistryError::Unauthorized { registry, message } => {
            out.push(2);
            put_text(out, registry);
            put_text(out, message);
        }
        RegistryError::Denied { registry, message } => {
            out.push(3);
            put_text(out, registry);
            put_text(out, message);
        }
        RegistryError::NotFound {
            what,
            object,
            message,
        } => {
            out.push(4);
            out.push(match what {
                Missing::Repository => 0,
                Missing::Manifest => 1,
                Missing::Blob => 2,
                Missing::Unknown => 3,
            });
            put_text(out, object);
            put_text(out, message);
        }
        RegistryError::RateLimited {
            registry,
            rate_limit,
        } => {
            out.push(5);
            put_text(out, registry);
            let r = rate_limit.as_ref();
            put_option(out, r.and_then(|r| r.limit));
            put_option(out, r.and_then(|r| r.remaining));
            put_option(out, r.and_then(|r| r.window_seconds));
        }
        RegistryError::Status {
            registry,
            status,
            object,
            message,
        } => {
            out.push(6);
            put_text(out, registry);
            put_varint(out, u64::from(*status));
            put_text(out, object);
            put_text(out, message);
        }
        RegistryError::Verify { object, source } => {
            out.push(7);
            put_text(out, object);
            match source {
                VerifyError::Size { expected, actual } => {
                    out.push(1);
                    put_varint(out, *expected);
                    put_varint(out, *actual);
                }
                VerifyError::Digest { expected, actual } => {
                    out.push(2);
                    put_text(out, &expected.to_string());
                    put_text(out, &actual.to_string());
                }
            }
        }
        RegistryError::WaitTooLong {
            registry,
            status,
            object,
            seconds,
        } => {
            out.push(8);
            put_text(out, registry);
            put_varint(out, u64::from(*status));
            put_text(out, object);
            put_varint(out, *seconds);
        }
        RegistryError::Length {
            registry,
            object,
            announced,
            expected,
        } => {
            out.push(9);
            put_text(out, registry);
            put_text(out, object);
            put_varint(out, *announced);
            put_varint(out, *expected);
        }
        _ => return false,
    }
    true
}

fn registry(r: &mut Reader<'_>) -> Result<RegistryError, LayerIndexError> {
    Ok(match r.byte()? {
        0 => RegistryError::Fetch {
            registry: text(r)?,
            source: fetch_error(r)?,
        },
        1 => RegistryError::CredentialsRequired {
            registry: text(r)?,
            realm: text(r)?,
        },
        2 => RegistryError::Unauthorized {
            registry: text(r)?,
            message: text(r)?,
        },
        3 => RegistryError::Denied {
            registry: text(r)?,
            message: text(r)?,
        },
        4 => RegistryError::NotFound {
            what: match r.byte()? {
                0 => Missing::Repository,
                1 => Missing::Manifest,
                2 => Missing::Blob,
                3 => Missing::Unknown,
                _ => return Err(r.fail("unknown missing kind")),
            },
            object: text(r)?,
            message: text(r)?,
        },
        5 => {
            let registry = text(r)?;
            let limit = option(r)?;
            let remaining = option(r)?;
            let window_seconds = option(r)?;
            let any = limit.is_some() || remaining.is_some() || window_seconds.is_some();
            RegistryError::RateLimited {
                registry,
                rate_limit: any.then_some(RateLimit {
                    limit,
                    remaining,
                    window_seconds,
                }),
            }
        }
        6 => RegistryError::Status {
            registry: text(r)?,
            status: u16::try_from(r.varint()?).map_err(|_| r.fail("bad HTTP status"))?,
            object: text(r)?,
            message: text(r)?,
        },
        7 => {
            let object = text(r)?;
            let source = match r.byte()? {
                1 => VerifyError::Size {
                    expected: r.varint()?,
                    actual: r.varint()?,
                },
                2 => VerifyError::Digest {
                    expected: r.digest()?,
                    actual: r.digest()?,
                },
                _ => return Err(r.fail("unknown verify error")),
            };
            RegistryError::Verify { object, source }
        }
        8 => RegistryError::WaitTooLong {
            registry: text(r)?,
            status: u16::try_from(r.varint()?).map_err(|_| r.fail("bad HTTP status"))?,
            object: text(r)?,
            seconds: r.varint()?,
        },
        9 => RegistryError::Length {
            registry: text(r)?,
            object: text(r)?,
            announced: r.varint()?,
            expected: r.varint()?,
        },
        _ => return Err(r.fail("unknown registry error")),
    })
}

/// Writes `failure` (see the module documentation).
pub(super) fn put_failure(out: &mut Vec<u8>, failure: &LayerFailure) {
    match failure {
        LayerFailure::Fetch(e) => {
            let mut inner = vec![0];
            if put_registry(&mut inner, e) {
                out.extend_from_slice(&inner);
            } else {
                out.push(7);
                put_text(out, &e.to_string());
            }
        }
        LayerFailure::Scan(s) => {
            out.push(1);
            put_scan(out, s);
        }
        LayerFailure::Oversize { total } => {
            out.push(2);
            put_varint(out, *total);
        }
        LayerFailure::Interrupted {
            received,
            total,
            error,
        } => {
            out.push(3);
            put_varint(out, *received);
            put_varint(out, *total);
            put_fetch_error(out, error);
        }
        LayerFailure::Truncated {
            received,
            total,
            scan,
        } => {
            out.push(4);
            put_varint(out, *received);
            put_varint(out, *total);
            put_scan(out, scan);
        }
        LayerFailure::Worker { message } => {
            out.push(5);
            put_text(out, message);
        }
        LayerFailure::NotInLibrary { reason } => {
            out.push(6);
            match reason {
                Some(reason) => {
                    out.push(1);
                    put_text(out, reason);
                }
                None => out.push(0),
            }
        }
        LayerFailure::Other { message } => {
            out.push(7);
            put_text(out, message);
        }
    }
}

/// Reads what [`put_failure`] wrote.
pub(super) fn failure(r: &mut Reader<'_>) -> Result<LayerFailure, LayerIndexError> {
    Ok(match r.byte()? {
        0 => LayerFailure::Fetch(registry(r)?),
        1 => LayerFailure::Scan(scan(r)?),
        2 => LayerFailure::Oversize { total: r.varint()? },
        3 => LayerFailure::Interrupted {
            received: r.varint()?,
            total: r.varint()?,
            error: fetch_error(r)?,
        },
        4 => LayerFailure::Truncated {
            received: r.varint()?,
            total: r.varint()?,
            scan: scan(r)?,
        },
        5 => LayerFailure::Worker { message: text(r)? },
        6 => LayerFailure::NotInLibrary {
            reason: match r.byte()? {
                0 => None,
                1 => Some(text(r)?),
                _ => return Err(r.fail("bad library reason")),
            },
        },
        7 => LayerFailure::Other { message: text(r)? },
        _ => return Err(r.fail("unknown failure")),
    })
}
