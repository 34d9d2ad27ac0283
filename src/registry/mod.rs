//! The OCI distribution protocol without I/O: request plans go out, responses
//! come back in and are interpreted into typed results. The only door to the
//! network is the `Fetch` trait implemented by the shells (browser, native).
//! Time is passed in as milliseconds since the Unix epoch.

pub mod blob;
pub mod challenge;
pub mod client;
pub mod codes;
pub mod error;
pub mod exchange;
pub mod http;
pub mod link;
pub mod plan;
pub mod ratelimit;
pub mod resume;
pub mod retry;
pub mod token;

pub use blob::{blob_response, BlobBody, BlobError, HashedBlob};
pub use challenge::{parse_challenges, Challenge, ChallengeError};
pub use client::{Client, Credentials, FetchedManifest, Ping, ReferrersPage, TagPage};
pub use codes::{parse_error_body, ErrorCode, RegistryErrorEntry};
pub use error::{Missing, RegistryError};
pub use exchange::{error_answer, read_body, send};
pub use http::{
    read_to_end, Body, Fetch, FetchError, FetchErrorKind, Headers, Method, Request, Response,
};
pub use link::next_link;
pub use plan::{Endpoint, Scheme};
pub use ratelimit::RateLimit;
pub use token::{parse_token_response, Token, TokenCache, TokenError, TokenKey};
