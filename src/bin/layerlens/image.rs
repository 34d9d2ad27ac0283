//! `inspect`, `tree`, `platforms` and `tags`: the core's resolve flow in a
//! terminal. Wiring and printing only.

use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;

use anyhow::{anyhow, Context};
use clap::{Args, ValueEnum};
use layerlens::dockerfmt::inert;
use layerlens::fs::{to_json, MergedFs};
use layerlens::inspect::report::{all_verified, inspect_json, inspect_text};
use layerlens::inspect::{
    merge_verified, resolve, scan_layers, Image, LayerReport, Progress, ScanSettings, Verify,
};
use layerlens::native::local::{self, CliFetch, LocalName};
use layerlens::native::NativeFetch;
use layerlens::oci::base64::base64_decode;
use layerlens::oci::{PlatformPolicy, Reference};
use layerlens::registry::{Client, Credentials};

/// Options of every command that talks to a registry.
#[derive(Args, Debug, Clone)]
pub struct RegistryArgs {
    /// User name for the registry (the password is read from stdin).
    #[arg(long, short = 'u', requires = "password_stdin")]
    username: Option<String>,
    /// Read the password (or access token) from standard input.
    #[arg(long, requires = "username")]
    password_stdin: bool,
    /// Speak plain HTTP to this registry (`host[:port]`); loopback registries
    /// always use HTTP. Repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    insecure_registry: Vec<String>,
}

/// An image reference and the platform to pick from an index.
#[derive(Args, Debug, Clone)]
pub struct ImageArgs {
    /// The image, as you would give it to `docker pull`; or one on disk, as
    /// skopeo names them: `docker-archive:PATH[:NAME]` (`docker save`
    /// output, also gzip-compressed), `oci-archive:PATH[:NAME]` (a tar of
    /// an OCI image layout), `oci:DIR[:NAME]` (an OCI image layout).
    #[arg(value_name = "REF")]
    reference: String,
    /// The platform to pick from a multi-platform image (`os/arch[/variant]`).
    /// Default: linux/amd64 if present, else the first runnable entry.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<String>,
}

impl ImageArgs {
    /// An image and the platform to pick (for commands naming several).
    pub fn new(reference: String, platform: Option<String>) -> ImageArgs {
        ImageArgs {
            reference,
            platform,
        }
    }
}

/// How `tree` prints.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeFormat {
    /// The canonical TAB-separated listing.
    Tsv,
    /// The same rows as JSON.
    Json,
    /// An indented tree for people.
    Text,
}

/// How far `tree` and `cat` check each layer.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyMode {
    /// Stream every layer: its blob digest, its diff_id and every file are
    /// checked (what the listing shows is what the image holds).
    Full,
    /// List a zstd:chunked or eStargz layer from its table of contents, a
    /// small part of the blob: proves the listing is the one the manifest
    /// names, not that the blob holds it. Other layers stream as with full.
    Toc,
}

impl From<VerifyMode> for Verify {
    fn from(mode: VerifyMode) -> Verify {
        match mode {
            VerifyMode::Full => Verify::Full,
            VerifyMode::Toc => Verify::Toc,
        }
    }
}

/// A usage problem found after parsing (exit status 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

type NativeClient = Client<CliFetch, fn() -> u64>;

/// Keys under which `docker login` stores credentials for a registry.
fn config_keys(registry: &str) -> Vec<String> {
    if registry == "docker.io" {
        return vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
            "registry-1.docker.io".into(),
        ];
    }
    vec![
        registry.to_owned(),
        format!("https://{registry}"),
        format!("http://{registry}"),
    ]
}

/// Credentials from `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`
/// (the base64 `auth` of `auths`); credential helpers are not consulted.
fn docker_config_credentials(registry: &str) -> Option<Credentials> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".docker")))?;
    let text = std::fs::read(dir.join("config.json")).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let auths = json.get("auths")?;
    for key in config_keys(registry) {
        let Some(auth) = auths
            .get(&key)
            .and_then(|a| a.get("auth"))
            .and_then(|a| a.as_str())
        else {
            continue;
        };
        let decoded = base64_decode(auth).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, pass) = text.split_once(':')?;
        return Some(Credentials::new(user, pass));
    }
    None
}

fn credentials(args: &RegistryArgs, reference: &Reference) -> anyhow::Result<Option<Credentials>> {
    if let Some(user) = &args.username {
        let mut password = String::new();
        io::stdin()
            .read_to_string(&mut password)
            .context("reading the password from stdin")?;
        let password = password.trim_end_matches(['\n', '\r']);
        if password.is_empty() {
            return Err(UsageError("--password-stdin: standard input was empty".into()).into());
        }
        return Ok(Some(Credentials::new(user.clone(), password)));
    }
    Ok(docker_config_credentials(reference.domain()))
}

fn client(args: &RegistryArgs, reference: &Reference) -> anyhow::Result<NativeClient> {
    let fetch = NativeFetch::new().map_err(|e| anyhow!("{e}"))?;
    Ok(Client::new(CliFetch::Net(fetch), now_ms as fn() -> u64)
        .with_insecure(args.insecure_registry.clone())
        .with_credentials(credentials(args, reference)?))
}

fn parse_reference(input: &str) -> anyhow::Result<Reference> {
    Reference::parse_normalized(input).map_err(|e| UsageError(format!("{input}: {e}")).into())
}

/// The image the command line names and a client that reads it: a registry
/// reference, or an image on disk (`docker-archive:`, `oci-archive:`,
/// `oci:`) read through the same client, so it is verified the same way.
fn target(args: &RegistryArgs, input: &str) -> anyhow::Result<(Reference, NativeClient)> {
    let Some(name) = LocalName::parse(input) else {
        let reference = parse_reference(input)?;
        let client = client(args, &reference)?;
        return Ok((reference, client));
    };
    let (reference, store) = runtime()?
        .block_on(local::open(&name))
        .map_err(|e| anyhow!("{input}: {e}"))?;
    if store.images().format == layerlens::archive::ArchiveFormat::DockerLegacy {
        eprintln!("note: {input} is {}", layerlens::archive::LEGACY_NOTE);
    }
    Ok((
        reference,
        Client::new(CliFetch::Local(store), now_ms as fn() -> u64),
    ))
}

fn policy(platform: &Option<String>) -> anyhow::Result<PlatformPolicy> {
    match platform {
        None => Ok(PlatformPolicy::default()),
        Some(p) => PlatformPolicy::require(p)
            .map_err(|e| UsageError(format!("--platform {p}: {e}")).into()),
    }
}

/// The platform policy, reference and client of the command line's image,
/// for commands that resolve it themselves (`referrers`).
pub(crate) fn image_target(
    image: &ImageArgs,
    registry: &RegistryArgs,
) -> anyhow::Result<(PlatformPolicy, Reference, NativeClient)> {
    let policy = policy(&image.platform)?;
    let (reference, client) = target(registry, &image.reference)?;
    Ok((policy, reference, client))
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The client, image and layer reports of the command line's image:
/// [`load`] run to its end.
pub(crate) fn open(
    image: &ImageArgs,
    registry: &RegistryArgs,
    hash_contents: bool,
    layer: Option<usize>,
    verify: Verify,
) -> anyhow::Result<(NativeClient, Image, Vec<LayerReport>)> {
    let policy = policy(&image.platform)?;
    let (reference, client) = target(registry, &image.reference)?;
    let loaded = load(&client, &reference, &policy, hash_contents, layer, verify);
    let (img, reports) = runtime()?.block_on(loaded)?;
    Ok((client, img, reports))
}

/// Resolves and scans an image, showing progress on a terminal.
async fn load(
    client: &NativeClient,
    reference: &Reference,
    policy: &PlatformPolicy,
    hash_contents: bool,
    layer: Option<usize>,
    verify: Verify,
) -> anyhow::Result<(Image, Vec<LayerReport>)> {
    let image = resolve(client, reference, policy).await?;
    if let Some(n) = layer {
        let count = image.image_manifest().map_or(0, |m| m.layers().len());
        if n >= count {
            return Err(UsageError(format!(
                "--layer {n}: the image has {count} layers (0 to {})",
                count.saturating_sub(1)
            ))
            .into());
        }
    }
    let tty = io::stderr().is_terminal();
    let total = image.image_manifest().map_or(0, |m| m.layers().len());
    let finished = std::cell::Cell::new(0usize);
    let progress = |p: Progress| match (tty, p) {
        (true, Progress::Finished { .. }) => {
            finished.set(finished.get() + 1);
            eprint!("\rlayers scanned: {} of {total}   ", finished.get());
        }
        (_, Progress::TocRefused { index }) => eprintln!(
            "{}note: layer {index}: its table of contents could not be used; the layer is \
             streamed and verified whole",
            if tty { "\r" } else { "" }
        ),
        _ => {}
    };
    let settings = ScanSettings {
        hash_contents,
        engine: layerlens::native::split::TWO_THREADS,
        verify,
        ..ScanSettings::default()
    };
    let reports = scan_layers(client, &image, &settings, &progress).await;
    if tty {
        eprint!("\r                              \r");
    }
    Ok((image, reports))
}

/// The image verified whole and merged, for the commands that compare or
/// judge it (`diff`, `check`): a layer that did not verify is an error.
pub(crate) fn open_whole(
    image: &ImageArgs,
    registry: &RegistryArgs,
    hash_contents: bool,
) -> anyhow::Result<(Image, MergedFs)> {
    let (_client, img, reports) = open(image, registry, hash_contents, None, Verify::Full)?;
    if report_problems(&reports) != ExitCode::SUCCESS {
        anyhow::bail!(
            "{}: not every layer verified, so the image is not whole",
            image.reference
        );
    }
    Ok((img, merge_verified(&reports)))
}

/// The exit status of a command whose trouble is status 2 (as diff(1) and
/// dive's CI mode answer): its own, or 2 with the error printed.
pub(crate) fn or_two(result: anyhow::Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("error: {}", inert(&format!("{e:#}")));
        ExitCode::from(2)
    })
}

pub(crate) fn report_problems(reports: &[LayerReport]) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    for r in reports {
        if let Some(note) = r.note() {
            eprintln!("note: {}", inert(&note));
        }
        if let Some(p) = r.problem() {
            eprintln!("error: {}", inert(&p));
            code = ExitCode::FAILURE;
        }
    }
    code
}

/// `layerlens inspect`.
pub fn run_inspect(
    image: &ImageArgs,
    json: bool,
    registry: &RegistryArgs,
) -> anyhow::Result<ExitCode> {
    let (client, img, reports) = open(image, registry, false, None, Verify::Full)?;
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &inspect_json(&img, &reports))?;
        writeln!(out)?;
    } else {
        write!(out, "{}", inspect_text(&img, &reports))?;
    }
    if let Some(r) = client.rate_limit() {
        if let (Some(l), Some(rem)) = (r.limit, r.remaining) {
            eprintln!("rate limit: {rem} of {l} pulls left");
        }
    }
    let code = report_problems(&reports);
    debug_assert_eq!(code == ExitCode::SUCCESS, all_verified(&reports));
    Ok(code)
}

/// `layerlens tree`.
pub fn run_tree(
    image: &ImageArgs,
    layer: Option<usize>,
    format: TreeFormat,
    verify: VerifyMode,
    registry: &RegistryArgs,
) -> anyhow::Result<ExitCode> {
    let (_client, _img, reports) = open(image, registry, true, layer, verify.into())?;
    let fs = match layer {
        None => merge_verified(&reports),
        Some(n) => {
            let Some(r) = reports.get(n) else {
                return Err(anyhow!("layer {n} has no report"));
            };
            MergedFs::layer_view(r.entries(), n)
        }
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        TreeFormat::Tsv => out.write_all(fs.listing_tsv().as_bytes())?,
        TreeFormat::Json => {
            out.write_all(to_json(&fs.listing()).as_bytes())?;
            writeln!(out)?;
        }
        TreeFormat::Text => out.write_all(fs.render_text().as_bytes())?,
    }
    out.flush()?;
    let relevant: Vec<LayerReport> = match layer {
        Some(n) => reports.into_iter().filter(|r| r.index == n).collect(),
        None => reports,
    };
    Ok(report_problems(&relevant))
}

/// `layerlens platforms`.
pub fn run_platforms(image: &ImageArgs, registry: &RegistryArgs) -> anyhow::Result<ExitCode> {
    let policy = policy(&image.platform)?;
    let (reference, client) = target(registry, &image.reference)?;
    let img = runtime()?.block_on(resolve(&client, &reference, &policy))?;
    let mut out = io::stdout().lock();
    if img.platforms.is_empty() {
        let p = img
            .platform
            .as_ref()
            .map_or("-".to_string(), ToString::to_string);
        writeln!(out, "{p}\t{}\t(single-platform image)", img.digest)?;
        return Ok(ExitCode::SUCCESS);
    }
    for p in &img.platforms {
        let chosen = p.descriptor.digest() == img.manifest.verified.digest();
        writeln!(
            out,
            "{}\t{}\t{}{}",
            p.label,
            p.descriptor.digest(),
            p.descriptor.size(),
            if chosen { "\t(default)" } else { "" }
        )?;
    }
    for d in &img.other_entries {
        let kind = d
            .annotation("vnd.docker.reference.type")
            .unwrap_or("not runnable");
        writeln!(out, "#{kind}\t{}\t{}", d.digest(), d.size())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `layerlens tags`.
pub fn run_tags(
    repository: &str,
    page_size: Option<u32>,
    registry: &RegistryArgs,
) -> anyhow::Result<ExitCode> {
    let reference = parse_reference(repository)?;
    let client = client(registry, &reference)?;
    let tags = runtime()?.block_on(client.tags(&reference, page_size))?;
    let mut out = io::stdout().lock();
    for t in tags {
        writeln!(out, "{t}")?;
    }
    Ok(ExitCode::SUCCESS)
}
