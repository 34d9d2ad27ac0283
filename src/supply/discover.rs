//! Finding an image's attachments and reading their documents, over the
//! registry client: every manifest fetched by digest and verified against
//! the descriptor that listed it, every document against its layer
//! descriptor, each place looked in independently (one failing does not
//! hide what the others found).

use super::attachment::{Attachment, Discovery, FoundBy, Rejected};
use super::documents::{parse_content, AttachedDocument, Content};
use super::error::SupplyError;
use super::MAX_DOCUMENT_BYTES;
use crate::inspect::Image;
use crate::oci::selection::{entries, EntryKind};
use crate::oci::{Descriptor, Digest, Document, Reference};
use crate::registry::{read_body, Client, Fetch, FetchedManifest, RegistryError};

/// Bounds on what a registry can make us do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document read (see [`MAX_DOCUMENT_BYTES`]).
    pub max_document_bytes: usize,
    /// Attachments listed at most, over every place looked in.
    pub max_attachments: usize,
    /// Referrers pages followed at most, per subject.
    pub max_pages: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_document_bytes: MAX_DOCUMENT_BYTES,
            max_attachments: 1000,
            max_pages: 100,
        }
    }
}

/// The cosign tag suffixes: signatures, attestations, SBOMs.
const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// The tag the referrers fallback and cosign use for `digest`: `sha256-<hex>`.
fn digest_tag(digest: &Digest) -> String {
    format!("{}-{}", digest.algorithm().name(), digest.hex())
}

struct Search<'a, F, C> {
    client: &'a Client<F, C>,
    reference: &'a Reference,
    artifact_type: Option<&'a str>,
    limits: &'a Limits,
    found: Discovery,
}

/// Finds the attachments of `image` (as `inspect::resolve` left it): those
/// of its index (when it has one) and of its platform manifest, in every
/// place of the module's list, optionally only those of `artifact_type`.
pub async fn discover<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    image: &Image,
    artifact_type: Option<&str>,
    limits: &Limits,
) -> Discovery {
    let platform = image.manifest.verified.digest().clone();
    let mut subjects = vec![image.digest.clone()];
    if platform != image.digest {
        subjects.push(platform.clone());
    }
    let mut search = Search {
        client,
        reference: &image.reference,
        artifact_type,
        limits,
        found: Discovery {
            subjects: subjects.clone(),
            ..Discovery::default()
        },
    };
    if let Some(Document::Index(index)) = image.index.as_ref().map(|i| &i.document) {
        for entry in entries(index) {
            if entry.kind() == EntryKind::Attestation && entry.attests().as_ref() == Some(&platform)
            {
                let tag = None;
                search
                    .fetch(
                        entry.descriptor(),
                        FoundBy::IndexAttestation,
                        &platform,
                        tag,
                    )
                    .await;
            }
        }
    }
    for subject in &subjects {
        search.referrers(subject).await;
        for suffix in COSIGN_SUFFIXES {
            search.cosign(subject, suffix).await;
        }
    }
    search.found
}

impl<F: Fetch, C: Fn() -> u64> Search<'_, F, C> {
    /// Whether the attachment limit is reached (said once, as a problem).
    fn full(&mut self) -> bool {
        let full = self.found.attachments.len() >= self.limits.max_attachments;
        let said =
            self.found.problems.iter().any(
                |p| matches!(p, SupplyError::Truncated { what, .. } if *what == "attachments"),
            );
        if full && !said {
            self.found.problems.push(SupplyError::Truncated {
                looking: self.reference.name(),
                limit: self.limits.max_attachments,
                what: "attachments",
            });
        }
        full
    }

    fn problem(&mut self, looking: String, source: RegistryError) {
        self.found.problems.push(SupplyError::Registry {
            looking,
            source: Box::new(source),
        });
    }

    /// Fetches and verifies the manifest `listed` names and keeps it as an
    /// attachment of `subject`, unless its own `subject` says otherwise.
    async fn fetch(
        &mut self,
        listed: &Descriptor,
        found: FoundBy,
        subject: &Digest,
        tag: Option<String>,
    ) {
        if self.full() {
            return;
        }
        let digest = listed.digest();
        if self
            .found
            .attachments
            .iter()
            .any(|a| &a.digest == digest && &a.subject == subject)
        {
            return;
        }
        let fetched = self
            .client
            .manifest(
                self.reference,
                &digest.to_string(),
                Some((digest, Some(listed.size()), Some(listed.media_type()))),
            )
            .await;
        let fetched = match fetched {
            Ok(f) => f,
            Err(e) => return self.problem(format!("{} {digest}", found.describe()), e),
        };
        self.keep(listed, &fetched, found, subject, tag);
    }

    /// Keeps a verified document as an attachment of `subject`, or rejects it.
    fn keep(
        &mut self,
        listed: &Descriptor,
        fetched: &FetchedManifest,
        found: FoundBy,
        subject: &Digest,
        tag: Option<String>,
    ) {
        let document = &fetched.document;
        let own_subject = match document {
            Document::Manifest(m) => m.subject(),
            Document::Index(i) => i.subject(),
        };
        let refers = matches!(found, FoundBy::ReferrersApi | FoundBy::TagFallback);
        let reason = match own_subject {
            Some(s) if s.digest() != subject => Some(format!(
                "its subject is {} (another image), not {subject}",
                s.digest()
            )),
            None if refers => Some("it has no subject".to_owned()),
            _ => None,
        };
        if let Some(reason) = reason {
            self.found.rejected.push(Rejected {
                digest: document.digest().clone(),
                found,
                listed_for: subject.clone(),
                reason,
            });
            return;
        }
        let mut a = Attachment::new(listed, document, found, subject.clone(), tag);
        a.manifest = fetched.verified.bytes().to_vec();
        if self
            .artifact_type
            .is_some_and(|t| a.artifact_type.as_str() != t)
        {
            return;
        }
        self.found.attachments.push(a);
    }

    /// The referrers API, or its tag fallback when the registry has none.
    async fn referrers(&mut self, subject: &Digest) {
        let mut url: Option<String> = None;
        let mut listed: Vec<Descriptor> = Vec::new();
        let looking = format!("referrers of {subject}");
        for page in 0..self.limits.max_pages {
            let answer = self
                .client
                .referrers_page(self.reference, subject, self.artifact_type, url.as_deref())
                .await;
            match answer {
                Ok(None) if page == 0 => {
                    self.found.referrers_api = Some(false);
                    return self.fallback(subject).await;
                }
                Ok(None) => break,
                Ok(Some(p)) => {
                    self.found.referrers_api = Some(true);
                    listed.extend(p.descriptors);
                    url = p.next;
                }
                Err(e) => return self.problem(looking, e),
            }
            if url.is_none() {
                break;
            }
            if page + 1 == self.limits.max_pages {
                self.found.problems.push(SupplyError::Truncated {
                    looking: looking.clone(),
                    limit: self.limits.max_pages,
                    what: "pages",
                });
            }
        }
        for d in &listed {
            self.fetch(d, FoundBy::ReferrersApi, subject, None).await;
        }
    }

    /// The referrers tag fallback: the index tagged `sha256-<hex>`.
    async fn fallback(&mut self, subject: &Digest) {
        let tag = digest_tag(subject);
        let index = match self.client.manifest(self.reference, &tag, None).await {
            Ok(f) => f,
            Err(RegistryError::NotFound { .. }) => return,
            Err(e) => return self.problem(format!("tag {tag}"), e),
        };
        let Document::Index(index) = index.document else {
            let looking = format!("tag {tag}");
            let source = RegistryError::Status {
                registry: self.reference.registry_host().to_owned(),
                status: 200,
                object: format!("manifest {}", index.verified.digest()),
                message: "the referrers fallback tag holds a manifest, not an index".into(),
            };
            return self.problem(looking, source);
        };
        for d in index.manifests() {
            self.fetch(d, FoundBy::TagFallback, subject, Some(tag.clone()))
                .await;
        }
    }

    /// One cosign tag (`sha256-<hex>.<suffix>`), when it exists.
    async fn cosign(&mut self, subject: &Digest, suffix: &str) {
        if self.full() {
            return;
        }
        let tag = format!("{}.{suffix}", digest_tag(subject));
        let fetched = match self.client.manifest(self.reference, &tag, None).await {
            Ok(f) => f,
            Err(RegistryError::NotFound { .. }) => return,
            Err(e) => return self.problem(format!("tag {tag}"), e),
        };
        let d = fetched.verified.digest();
        let listed = Descriptor::new(
            fetched.document.media_type().clone(),
            d.clone(),
            fetched.verified.bytes().len() as u64,
        );
        self.keep(&listed, &fetched, FoundBy::CosignTag, subject, Some(tag));
    }
}

/// Fetches and reads the documents (layers) of `attachment`, found on the
/// image `reference` names. A layer of a type layerlens does not read is
/// listed, not fetched; one larger than the limit is named, not fetched.
pub async fn read_documents<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    reference: &Reference,
    attachment: &Attachment,
    limits: &Limits,
) -> Vec<AttachedDocument> {
    let mut out = Vec::with_capacity(attachment.layers.len());
    for layer in &attachment.layers {
        let announced = layer
            .annotation(super::PREDICATE_TYPE_ANNOTATION)
            .or_else(|| layer.annotation(super::COSIGN_PREDICATE_TYPE_ANNOTATION))
            .map(str::to_owned);
        let (content, bytes) = match read_one(client, reference, attachment, layer, limits).await {
            Ok((content, bytes)) => (Ok(content), bytes),
            Err(e) => (Err(e), None),
        };
        let predicate_type = match &content {
            Ok(c) => c
                .statement()
                .map(|s| s.predicate_type.clone())
                .or(announced),
            Err(_) => announced,
        };
        out.push(AttachedDocument {
            descriptor: layer.clone(),
            predicate_type,
            content,
            bytes,
        });
    }
    out
}

async fn read_one<F: Fetch, C: Fn() -> u64>(
    client: &Client<F, C>,
    reference: &Reference,
    attachment: &Attachment,
    layer: &Descriptor,
    limits: &Limits,
) -> Result<(Content, Option<Vec<u8>>), SupplyError> {
    let media_type = layer.media_type();
    if !Content::is_read(media_type) {
        return Ok((Content::NotRead(media_type.clone()), None));
    }
    let document = layer.digest();
    let too_large = |size: u64| SupplyError::TooLarge {
        what: "document",
        document: document.clone(),
        size,
        limit: limits.max_document_bytes,
    };
    if layer.size() > limits.max_document_bytes as u64 {
        return Err(too_large(layer.size()));
    }
    let verify = |source| SupplyError::Verify {
        what: "document",
        document: document.clone(),
        source,
    };
    let verified = match layer.embedded_data() {
        Some(v) => v.map_err(verify)?,
        None => {
            let looking = format!("document {document}");
            let registry = |source| SupplyError::Registry {
                looking: looking.clone(),
                source: Box::new(source),
            };
            let mut response = client
                .blob(reference, document, None)
                .await
                .map_err(registry)?;
            let host = client.endpoint(reference).host().to_owned();
            let bytes = read_body(&host, &mut response, limits.max_document_bytes)
                .await
                .map_err(registry)?;
            layer.verify(bytes).map_err(verify)?
        }
    };
    let content = parse_content(
        &verified,
        media_type,
        layer.annotations(),
        &attachment.subject,
        &reference.name(),
    )?;
    Ok((content, Some(verified.bytes().to_vec())))
}
