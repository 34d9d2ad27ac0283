//! `layerlens cat`: one file's verified bytes on stdout. The image's tree
//! says which layer holds the file; a layer listed from its table of
//! contents gives the file by `Range` (checked against the table's
//! digest), any other layer is streamed until the file has passed and to
//! its end (its blob digest checked) before a byte is written.

use std::cell::RefCell;
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::anyhow;
use layerlens::app::file::extract::run_extract;
use layerlens::app::file::links::content_source;
use layerlens::app::file::{ExtractId, ExtractTask, FileMsg};
use layerlens::app::LoadId;
use layerlens::fs::MergedFs;
use layerlens::inspect::{merge_verified, LayerOutcome, LayerReport};
use layerlens::layer::{normalize_path, EntryKind};
use layerlens::oci::Reference;

use crate::image::{
    open, report_problems, runtime, ImageArgs, RegistryArgs, UsageError, VerifyMode,
};

/// `layerlens cat REF PATH`.
pub fn run_cat(
    image: &ImageArgs,
    path: &str,
    verify: VerifyMode,
    registry: &RegistryArgs,
) -> anyhow::Result<ExitCode> {
    let wanted = normalize_path(path.as_bytes())
        .map_err(|_| UsageError(format!("{path}: not a path inside the image")))?;
    let (client, img, reports) = open(image, registry, true, None, verify.into())?;
    let fs = merge_verified(&reports);
    let code = report_problems(&reports);
    let task = match task_for(&fs, &reports, &img.reference, &wanted, path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut bytes = Vec::new();
    let result: RefCell<Option<Result<(), String>>> = RefCell::new(None);
    let dispatch = |m: FileMsg| match m {
        FileMsg::Checked { result: r, .. } => *result.borrow_mut() = Some(r),
        FileMsg::Failed { error, .. } => *result.borrow_mut() = Some(Err(error)),
        _ => {}
    };
    runtime()?.block_on(run_extract(
        &client,
        &task,
        &mut bytes,
        &|| false,
        &dispatch,
    ));
    match result.into_inner() {
        Some(Ok(())) => {
            let mut out = io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
            Ok(code)
        }
        Some(Err(e)) => {
            eprintln!("error: {path}: {e}");
            Ok(ExitCode::FAILURE)
        }
        None => Err(anyhow!("{path}: the read ended without a verdict")),
    }
}

/// The extraction of the regular file at `wanted`, or why there is none.
fn task_for(
    fs: &MergedFs,
    reports: &[LayerReport],
    reference: &Reference,
    wanted: &[u8],
    path: &str,
) -> Result<ExtractTask, String> {
    let node = fs.lookup(wanted).and_then(|id| fs.node(id));
    let Some(node) = node.filter(|n| n.is_alive()) else {
        let gaps = (0..fs.layer_count())
            .filter(|&l| fs.gap(l).is_some())
            .count();
        return Err(if gaps > 0 {
            format!("{path}: not in the image's tree ({gaps} layers could not be verified and are left out)")
        } else {
            format!("{path}: no such file in the image")
        });
    };
    match node.kind() {
        EntryKind::File | EntryKind::HardLink => {}
        EntryKind::Symlink => {
            return Err(format!(
                "{path}: a symbolic link to {}; cat the target",
                String::from_utf8_lossy(node.link_target().unwrap_or_default())
            ))
        }
        EntryKind::Directory => return Err(format!("{path}: a directory")),
        _ => return Err(format!("{path}: not a regular file")),
    }
    let source = content_source(reports, node.layer(), wanted)
        .ok_or_else(|| format!("{path}: no regular file holds its bytes"))?;
    let report = reports
        .iter()
        .find(|r| r.index == source.layer)
        .ok_or_else(|| format!("{path}: layer {} has no report", source.layer))?;
    let listed = match &report.outcome {
        LayerOutcome::Listed(l) => usize::try_from(source.offset).ok().and_then(|i| l.file(i)),
        _ => None,
    };
    Ok(ExtractTask {
        id: ExtractId(1),
        load: LoadId(0),
        reference: reference.clone(),
        layer: source.layer,
        descriptor: report.descriptor.clone(),
        offset: source.offset,
        size: source.size,
        head_limit: 0,
        // The whole layer is read: its digest is checked before the file
        // is written.
        verify_limit: u64::MAX,
        proxy_base: String::new(),
        credentials: None,
        listed,
        // The command line keeps no checkpoints between runs.
        seek: None,
    })
}
