//! The distribution upload and read API (distribution spec: "Pushing blobs", "Pushing
//! manifests", "Pulling", "Content discovery", "Content management"), implemented on the
//! harness [`Client`] independently of the product's registry module, so the product is
//! tested against a second, simple producer.

use super::client::Client;
use super::digest::sha256_digest;
use super::response::{err, HarnessResult, HttpResponse};

/// Accept list covering every manifest kind, for callers that do not care which.
pub const ACCEPT_ALL_MANIFESTS: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

impl Client {
    /// Uploads `bytes` as a blob of `repo` with one `POST` and a monolithic `PUT ?digest=`;
    /// returns its digest.
    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        self.try_push_blob(repo, bytes)
            .unwrap_or_else(|e| panic!("push blob to {repo}: {e}"))
    }

    /// [`Client::push_blob`] that reports failure instead of panicking.
    pub fn try_push_blob(&self, repo: &str, bytes: &[u8]) -> HarnessResult<String> {
        let digest = sha256_digest(bytes);
        let location = self.start_upload(repo)?;
        let url = with_query(&location, &format!("digest={digest}"));
        let response = self.send(
            "PUT",
            &url,
            &[("Content-Type", "application/octet-stream")],
            Some(bytes),
        )?;
        self.finish_upload(response, &digest)
    }

    /// Uploads `bytes` in `PATCH` chunks of `chunk_size` bytes (`Content-Range` each), then
    /// closes the upload with an empty `PUT ?digest=`; returns the digest.
    pub fn push_blob_chunked(&self, repo: &str, bytes: &[u8], chunk_size: usize) -> String {
        self.try_push_blob_chunked(repo, bytes, chunk_size)
            .unwrap_or_else(|e| panic!("chunked push to {repo}: {e}"))
    }

    /// [`Client::push_blob_chunked`] that reports failure instead of panicking.
    pub fn try_push_blob_chunked(
        &self,
        repo: &str,
        bytes: &[u8],
        chunk_size: usize,
    ) -> HarnessResult<String> {
        assert!(chunk_size > 0, "chunk_size must be positive");
        let digest = sha256_digest(bytes);
        let mut location = self.start_upload(repo)?;
        let mut offset = 0;
        for chunk in bytes.chunks(chunk_size) {
            let range = format!("{}-{}", offset, offset + chunk.len() - 1);
            let response = self.send(
                "PATCH",
                &location,
                &[
                    ("Content-Type", "application/octet-stream"),
                    ("Content-Range", &range),
                ],
                Some(chunk),
            )?;
            if response.status != 202 {
                return err(format!("PATCH {range}: {}", response.describe()));
            }
            location = self.location(&response)?;
            offset += chunk.len();
        }
        let url = with_query(&location, &format!("digest={digest}"));
        let response = self.send("PUT", &url, &[], Some(&[]))?;
        self.finish_upload(response, &digest)
    }

    fn start_upload(&self, repo: &str) -> HarnessResult<String> {
        let response = self.send(
            "POST",
            &format!("/v2/{repo}/blobs/uploads/"),
            &[],
            Some(&[]),
        )?;
        if response.status != 202 {
            return err(format!("POST upload to {repo}: {}", response.describe()));
        }
        self.location(&response)
    }

    fn finish_upload(&self, response: HttpResponse, digest: &str) -> HarnessResult<String> {
        if response.status != 201 {
            return err(format!("PUT blob {digest}: {}", response.describe()));
        }
        match response.header("Docker-Content-Digest") {
            Some(d) if d == digest => Ok(digest.to_string()),
            other => err(format!(
                "registry stored blob {digest} as {other:?} (Docker-Content-Digest)"
            )),
        }
    }

    /// `PUT /v2/<repo>/manifests/<reference>` with `Content-Type: media_type`; returns the
    /// digest, checked against the registry's `Docker-Content-Digest`.
    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> String {
        self.try_push_manifest(repo, reference, media_type, bytes)
            .unwrap_or_else(|e| panic!("push manifest {repo}:{reference}: {e}"))
    }

    /// [`Client::push_manifest`] that reports failure instead of panicking.
    pub fn try_push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> HarnessResult<String> {
        let digest = sha256_digest(bytes);
        let response = self.send(
            "PUT",
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Content-Type", media_type)],
            Some(bytes),
        )?;
        if response.status != 201 {
            return err(format!(
                "PUT manifest {repo}:{reference}: {}",
                response.describe()
            ));
        }
        match response.header("Docker-Content-Digest") {
            Some(d) if d == digest => Ok(digest),
            other => err(format!(
                "registry stored manifest {digest} as {other:?} (Docker-Content-Digest)"
            )),
        }
    }

    /// `GET` a manifest by tag or digest with `accept` (joined into one `Accept` header).
    pub fn get_manifest(&self, repo: &str, reference: &str, accept: &[&str]) -> HttpResponse {
        self.get(
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Accept", &accept.join(", "))],
        )
    }

    /// `HEAD` a manifest by tag or digest with `accept`.
    pub fn head_manifest(&self, repo: &str, reference: &str, accept: &[&str]) -> HttpResponse {
        self.head(
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Accept", &accept.join(", "))],
        )
    }

    /// `GET` a blob (redirects are returned, not followed).
    pub fn get_blob(&self, repo: &str, digest: &str) -> HttpResponse {
        self.get(&format!("/v2/{repo}/blobs/{digest}"), &[])
    }

    /// Every tag of `repo` (one `GET /v2/<repo>/tags/list`, as distribution 2.8 returns all);
    /// panics unless the answer is 200.
    pub fn tags(&self, repo: &str) -> Vec<String> {
        let response = self.get(&format!("/v2/{repo}/tags/list"), &[]);
        assert_eq!(
            response.status,
            200,
            "tags of {repo}: {}",
            response.describe()
        );
        response.json()["tags"]
            .as_array()
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `DELETE /v2/<repo>/manifests/<digest>` (the registry must have deletes enabled, which
    /// the harness's config does); panics unless 202.
    pub fn delete_manifest(&self, repo: &str, digest: &str) {
        self.try_delete_manifest(repo, digest)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// [`Client::delete_manifest`] that reports failure instead of panicking.
    pub fn try_delete_manifest(&self, repo: &str, digest: &str) -> HarnessResult<()> {
        let response = self.send(
            "DELETE",
            &format!("/v2/{repo}/manifests/{digest}"),
            &[],
            None,
        )?;
        if response.status == 202 {
            Ok(())
        } else {
            err(format!(
                "DELETE manifest {repo}@{digest}: {}",
                response.describe()
            ))
        }
    }

    fn location(&self, response: &HttpResponse) -> HarnessResult<String> {
        match response.header("Location") {
            Some(location) => self.url(location),
            None => err(format!("no Location in {}", response.describe())),
        }
    }
}

/// Appends `pair` to `url`'s query.
fn with_query(url: &str, pair: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{pair}")
}
