//! Images on disk for the command line: skopeo's transport names
//! (`docker-archive:PATH`, `oci-archive:PATH[:REF]`, `oci:DIR[:REF]`) opened
//! into a [`crate::archive::ArchiveFetch`], and [`CliFetch`], the one
//! [`Fetch`] the command line's client uses for registries and archives
//! alike.
//!
//! A gzip-compressed `docker save` archive (`docker save IMAGE | gzip`)
//! cannot be read in place: it is inflated once into an unnamed temporary
//! file (deleted when closed), then read like any archive.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::archive::fetch::ArchiveBody;
use crate::archive::{self, ArchiveError, ArchiveFetch, LocalImages, ReadAt, Source, TarSource};
use crate::oci::Reference;
use crate::registry::{Body, Fetch, FetchError, Request, Response};

use super::{NativeBody, NativeFetch};

/// The transports read from disk, as skopeo names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `docker-archive:PATH[:REF]` — `docker save` output.
    DockerArchive,
    /// `oci-archive:PATH[:REF]` — a tar of an OCI image layout.
    OciArchive,
    /// `oci:DIR[:REF]` — an OCI image layout directory.
    OciDir,
}

/// A local image as named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalName {
    /// How it is stored.
    pub transport: Transport,
    /// The file or directory.
    pub path: PathBuf,
    /// The image in it, when named.
    pub name: Option<String>,
}

impl LocalName {
    /// `docker-archive:…`, `oci-archive:…` or `oci:…`; `None` for anything
    /// else (a registry reference). What follows the path's first `:` names
    /// the image, unless the whole text is an existing path.
    pub fn parse(input: &str) -> Option<LocalName> {
        let (transport, rest) = [
            ("docker-archive:", Transport::DockerArchive),
            ("oci-archive:", Transport::OciArchive),
            ("oci:", Transport::OciDir),
        ]
        .into_iter()
        .find_map(|(p, t)| input.strip_prefix(p).map(|rest| (t, rest)))?;
        // As skopeo splits them: the path ends at its first `:` (the name
        // may hold more: `oci:DIR:docker.io/library/alpine:3.20`).
        let (path, name) = match rest.split_once(':') {
            Some((p, n)) if !Path::new(rest).exists() => (p, Some(n.to_owned())),
            _ => (rest, None),
        };
        Some(LocalName {
            transport,
            path: PathBuf::from(path),
            name: name.filter(|n| !n.is_empty()),
        })
    }
}

/// An archive file read at offsets.
pub struct FileReader {
    file: File,
    size: u64,
}

impl FileReader {
    fn open(path: &Path) -> Result<FileReader, ArchiveError> {
        let file = File::open(path).map_err(|e| io_error(path, &e))?;
        let size = file.metadata().map_err(|e| io_error(path, &e))?.len();
        Ok(FileReader { file, size })
    }
}

fn io_error(path: &Path, e: &io::Error) -> ArchiveError {
    ArchiveError::Io(format!("{}: {e}", path.display()))
}

impl ReadAt for FileReader {
    fn size(&self) -> u64 {
        self.size
    }

    async fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, ArchiveError> {
        let len = (len as u64).min(self.size.saturating_sub(offset)) as usize;
        let mut buf = vec![0; len];
        let mut done = 0;
        while done < len {
            match self.file.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ArchiveError::Io(format!("reading the archive: {e}"))),
            }
        }
        buf.truncate(done);
        Ok(buf)
    }
}

/// An OCI layout directory.
pub struct DirSource {
    root: PathBuf,
    /// The file read last, kept open: a layer streams from one file in
    /// many reads.
    open: std::cell::RefCell<Option<(PathBuf, std::rc::Rc<FileReader>)>>,
}

impl DirSource {
    fn file(&self, path: &str) -> Result<PathBuf, ArchiveError> {
        let Some(rel) = crate::archive::members::normalize(path) else {
            return Err(ArchiveError::BadMember {
                member: path.to_owned(),
                why: "the path leads outside the directory".into(),
            });
        };
        Ok(self.root.join(rel))
    }
}

impl Source for DirSource {
    async fn size(&self, path: &str) -> Result<Option<u64>, ArchiveError> {
        let p = self.file(path)?;
        match std::fs::metadata(&p) {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Err(ArchiveError::BadMember {
                member: path.to_owned(),
                why: "not a regular file".into(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&p, &e)),
        }
    }

    async fn read(&self, path: &str, offset: u64, len: usize) -> Result<Vec<u8>, ArchiveError> {
        let p = self.file(path)?;
        let cached = self
            .open
            .borrow()
            .as_ref()
            .filter(|(at, _)| *at == p)
            .map(|(_, f)| f.clone());
        let reader = match cached {
            Some(f) => f,
            None => {
                let f = std::rc::Rc::new(FileReader::open(&p)?);
                *self.open.borrow_mut() = Some((p, f.clone()));
                f
            }
        };
        reader.read_at(offset, len).await
    }
}

/// An opened local image store.
pub enum Local {
    /// A tar archive (`docker-archive:`, `oci-archive:`).
    Archive(ArchiveFetch<TarSource<FileReader>>),
    /// A layout directory (`oci:`).
    Dir(ArchiveFetch<DirSource>),
}

impl Local {
    /// What it holds.
    pub fn images(&self) -> &LocalImages {
        match self {
            Local::Archive(a) => a.images(),
            Local::Dir(d) => d.images(),
        }
    }
}

/// Whether the file starts with gzip's magic bytes.
fn is_gzip(path: &Path) -> Result<bool, ArchiveError> {
    let mut magic = [0u8; 2];
    let mut f = File::open(path).map_err(|e| io_error(path, &e))?;
    let n = f.read(&mut magic).map_err(|e| io_error(path, &e))?;
    Ok(n == 2 && magic == [0x1f, 0x8b])
}

/// Inflates a gzip file into an unnamed temporary file.
fn inflate_to_temp(path: &Path) -> Result<PathBuf, ArchiveError> {
    let dir = std::env::temp_dir();
    let temp = dir.join(format!(
        "layerlens-{}-{}.tar",
        std::process::id(),
        path.file_name()
            .map(|n| n
                .to_string_lossy()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
            .unwrap_or_default()
    ));
    let src = File::open(path).map_err(|e| io_error(path, &e))?;
    let mut out = File::create(&temp).map_err(|e| io_error(&temp, &e))?;
    let mut gz = flate2::read::MultiGzDecoder::new(io::BufReader::new(src));
    io::copy(&mut gz, &mut out).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        ArchiveError::Io(format!("{}: not a valid gzip file: {e}", path.display()))
    })?;
    out.seek(SeekFrom::Start(0))
        .map_err(|e| io_error(&temp, &e))?;
    Ok(temp)
}

/// Opens the store `name` names and picks its image: the client's
/// reference for it (the archive's name for it with the digest, or
/// `localhost/FILE@DIGEST`) and the store.
pub async fn open(name: &LocalName) -> Result<(Reference, Local), ArchiveError> {
    let fallback = crate::archive::repository_for_file(&name.path.to_string_lossy());
    let wanted = name.name.as_deref();
    match name.transport {
        Transport::OciDir => {
            if !name.path.is_dir() {
                return Err(ArchiveError::Io(format!(
                    "{}: not a directory (oci: names an OCI image layout directory)",
                    name.path.display()
                )));
            }
            let source = DirSource {
                root: name.path.clone(),
                open: Default::default(),
            };
            let (reference, fetch) = archive::open(source, wanted, &fallback).await?;
            Ok((reference, Local::Dir(fetch)))
        }
        Transport::DockerArchive | Transport::OciArchive => {
            let reader = if is_gzip(&name.path)? {
                let temp = inflate_to_temp(&name.path)?;
                let reader = FileReader::open(&temp);
                // Unlinked at once: the open file keeps its bytes until the
                // process ends.
                let _ = std::fs::remove_file(&temp);
                reader?
            } else {
                FileReader::open(&name.path)?
            };
            let source = TarSource::open(reader).await?;
            let (reference, fetch) = archive::open(source, wanted, &fallback).await?;
            Ok((reference, Local::Archive(fetch)))
        }
    }
}

/// The command line's [`Fetch`]: the network, or an image on disk.
pub enum CliFetch {
    /// Registries, through the outbound HTTP client.
    Net(NativeFetch),
    /// An archive or layout directory.
    Local(Local),
}

/// [`CliFetch`]'s bodies.
pub enum CliBody {
    /// From the network.
    Net(NativeBody),
    /// From a tar archive.
    Archive(ArchiveBody<TarSource<FileReader>>),
    /// From a layout directory.
    Dir(ArchiveBody<DirSource>),
}

impl Body for CliBody {
    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        match self {
            CliBody::Net(b) => b.chunk().await,
            CliBody::Archive(b) => b.chunk().await,
            CliBody::Dir(b) => b.chunk().await,
        }
    }
}

impl Fetch for CliFetch {
    type Body = CliBody;

    async fn sleep(&self, ms: u64) {
        match self {
            CliFetch::Net(f) => f.sleep(ms).await,
            // Files on disk answer no 429 or 5xx.
            CliFetch::Local(_) => {}
        }
    }

    async fn fetch(&self, request: Request) -> Result<Response<CliBody>, FetchError> {
        Ok(match self {
            CliFetch::Net(f) => f.fetch(request).await?.map_body(CliBody::Net),
            CliFetch::Local(Local::Archive(f)) => {
                f.fetch(request).await?.map_body(CliBody::Archive)
            }
            CliFetch::Local(Local::Dir(f)) => f.fetch(request).await?.map_body(CliBody::Dir),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_and_names() {
        let l = LocalName::parse("oci-archive:/tmp/x.tar:v1").unwrap();
        assert_eq!(l.transport, Transport::OciArchive);
        assert_eq!(l.path, PathBuf::from("/tmp/x.tar"));
        assert_eq!(l.name.as_deref(), Some("v1"));
        let l = LocalName::parse("docker-archive:app.tar").unwrap();
        assert_eq!((l.transport, l.name), (Transport::DockerArchive, None));
        let l = LocalName::parse("oci:dir:docker.io/library/alpine:3.20");
        assert_eq!(
            l.map(|l| (l.path, l.name)),
            Some((
                PathBuf::from("dir"),
                Some("docker.io/library/alpine:3.20".to_owned())
            ))
        );
        assert_eq!(LocalName::parse("alpine:3.20"), None);
        assert_eq!(LocalName::parse("docker://alpine"), None);
    }
}
