//! `layerlens referrers REF`: what is attached to an image — signatures,
//! SBOMs, provenance — wherever the registry keeps it. Wiring and printing
//! only: finding and reading is `layerlens::supply`.

use std::io::{self, Write};
use std::process::ExitCode;

use layerlens::dockerfmt::inert;
use layerlens::inspect::resolve;
use layerlens::supply::report::{attachment_json, attachment_text};
use layerlens::supply::{discover, read_documents, Limits};

use crate::image::{image_target, runtime, ImageArgs, RegistryArgs};

/// `layerlens referrers REF [--platform P] [--artifact-type T] [--json]`.
pub fn run_referrers(
    image: &ImageArgs,
    artifact_type: Option<&str>,
    json: bool,
    registry: &RegistryArgs,
) -> anyhow::Result<ExitCode> {
    let (policy, reference, client) = image_target(image, registry)?;
    let limits = Limits::default();
    let (found, documents) = runtime()?.block_on(async {
        let img = resolve(&client, &reference, &policy).await?;
        let found = discover(&client, &img, artifact_type, &limits).await;
        let mut documents = Vec::with_capacity(found.attachments.len());
        for a in &found.attachments {
            documents.push(read_documents(&client, &img.reference, a, &limits).await);
        }
        anyhow::Ok((found, documents))
    })?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    if json {
        let list: Vec<_> = found
            .attachments
            .iter()
            .zip(&documents)
            .map(|(a, d)| attachment_json(a, d))
            .collect();
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
    } else {
        for (a, d) in found.attachments.iter().zip(&documents) {
            out.write_all(attachment_text(a, d).as_bytes())?;
        }
    }
    out.flush()?;
    let api = match found.referrers_api {
        Some(true) => "the referrers API",
        Some(false) => "the referrers tag fallback (the registry has no referrers API)",
        None => "no referrers listing",
    };
    eprintln!(
        "note: {} attachment(s) of {} found through {api}, cosign tags and the index",
        found.attachments.len(),
        found
            .subjects
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" and ")
    );
    for r in &found.rejected {
        eprintln!(
            "note: {} ({}, listed for {}) is not this image's: {}",
            r.digest,
            r.found.describe(),
            r.listed_for,
            inert(&r.reason)
        );
    }
    for p in &found.problems {
        eprintln!("error: {}", inert(&p.to_string()));
    }
    Ok(if found.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
