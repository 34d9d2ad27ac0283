//! The demo's layers, as a Dockerfile would make them, and their
//! compression. Each function is one build step; the comments say what the
//! page should show for it.

use std::io::Write as _;

use flate2::{Compression as Level, GzBuilder};
use ruzstd::encoding::{compress_to_vec, CompressionLevel};

use super::content::{self, Machine};
use super::tar::{Meta, TarBuilder};
use crate::oci::MediaType;

/// 2024-05-01T12:00:00Z: the demo's build starts here; step `n` is `n`
/// minutes later.
pub const EPOCH: u64 = 1_714_564_800;

/// The RFC 3339 time of build step `minute`.
pub fn timestamp(minute: u64) -> String {
    format!("2024-05-01T12:{:02}:00Z", minute % 60)
}

fn t(minute: u64) -> u64 {
    EPOCH + minute * 60
}

/// The size of `/var/cache/demo/index.db`: both copies count, the first
/// one as wasted space.
pub const CACHE_SIZE: usize = 192 * 1024;
/// The size of `/usr/local/bin/demo`.
pub const BINARY_SIZE: usize = 64 * 1024;

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// `tar+gzip`: flate2 with a fixed header (mtime 0, no name, OS 255).
    Gzip,
    /// `tar+zstd`: ruzstd's encoder.
    Zstd,
    /// Plain `tar`.
    Tar,
}

impl Packing {
    /// The OCI layer media type.
    pub fn media_type(self) -> MediaType {
        match self {
            Packing::Gzip => MediaType::OciLayerGzip,
            Packing::Zstd => MediaType::OciLayerZstd,
            Packing::Tar => MediaType::OciLayer,
        }
    }

    /// The blob for `tar`.
    pub fn pack(self, tar: &[u8]) -> Vec<u8> {
        match self {
            Packing::Gzip => {
                let mut gz = GzBuilder::new()
                    .mtime(0)
                    .operating_system(255)
                    .write(Vec::new(), Level::default());
                // Writing to a Vec cannot fail.
                let _ = gz.write_all(tar);
                gz.finish().unwrap_or_default()
            }
            Packing::Zstd => compress_to_vec(tar, CompressionLevel::Fastest),
            Packing::Tar => tar.to_vec(),
        }
    }
}

/// One layer: its tar stream, how it is packed, and the history line that
/// made it.
#[derive(Debug, Clone)]
pub struct LayerPlan {
    /// The uncompressed tar.
    pub tar: Vec<u8>,
    /// Its compression.
    pub packing: Packing,
    /// The Dockerfile-like instruction.
    pub created_by: String,
    /// The minute of the build it was made at.
    pub minute: u64,
}

/// Which platform a step builds for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arch {
    /// `amd64`, `arm64`.
    pub architecture: &'static str,
    /// `v8` for arm64.
    pub variant: Option<&'static str>,
    /// The machine the binary is for.
    pub machine: Machine,
}

impl Arch {
    /// `linux/amd64`.
    pub const AMD64: Arch = Arch {
        architecture: "amd64",
        variant: None,
        machine: Machine::X86_64,
    };
    /// `linux/arm64/v8`.
    pub const ARM64: Arch = Arch {
        architecture: "arm64",
        variant: Some("v8"),
        machine: Machine::Aarch64,
    };

    fn seed(self) -> u64 {
        match self.machine {
            Machine::X86_64 => 0xA4D6_4001,
            Machine::Aarch64 => 0xA4A6_4002,
        }
    }
}

/// Step 1 (gzip, shared): the base filesystem. Text files, a PNG, a setuid
/// file, a directory owned by uid 1000, a symlink, and what later layers
/// delete (`/opt/legacy`, `CHANGELOG.old`), hide (`plugins/legacy.*`) or
/// rewrite (`index.db`, `motd`, `os-release`).
pub fn base() -> LayerPlan {
    let m = t(1);
    let dir = Meta::root(0o755, m);
    let file = Meta::root(0o644, m);
    let demo_user = Meta {
        mode: 0o750,
        uid: 1000,
        gid: 1000,
        uname: "demo",
        gname: "demo",
        mtime: m,
    };
    let mut b = TarBuilder::new();
    b.dir("etc", dir)
        .file("etc/group", file, content::GROUP.as_bytes())
        .file("etc/motd", file, &content::motd(false))
        .file("etc/os-release", file, &content::os_release("1"))
        .file("etc/passwd", file, content::PASSWD.as_bytes())
        .dir("home", dir)
        .dir("home/demo", demo_user)
        .file(
            "home/demo/.profile",
            demo_user.mode(0o644),
            b"export PS1='demo$ '\n",
        )
        .symlink("lib", "usr/lib", Meta::root(0o777, m))
        .dir("opt", dir)
        .dir("opt/legacy", dir)
        .file(
            "opt/legacy/README",
            file,
            b"The legacy toolkit. Removed in the next layer.\n",
        )
        .dir("opt/legacy/bin", dir)
        .file(
            "opt/legacy/bin/tool",
            dir,
            &content::elf(Machine::X86_64, 0x1E6A, 16 * 1024),
        )
        .dir("tmp", Meta::root(0o1777, m))
        .dir("usr", dir)
        .dir("usr/bin", dir)
        .file(
            "usr/bin/passwd",
            Meta::root(0o4755, m),
            b"#!/bin/sh\n# A stand-in for passwd(1), setuid root as in real images.\n\
              exec /usr/local/bin/demo passwd \"$@\"\n",
        )
        .dir("usr/lib", dir)
        .dir("usr/lib/demo", dir)
        .dir("usr/lib/demo/plugins", dir)
        .file(
            "usr/lib/demo/plugins/legacy.conf",
            file,
            b"[legacy]\nenabled = true\n",
        )
        .file(
            "usr/lib/demo/plugins/legacy.so",
            file,
            &content::noise(0x50_1E, 24 * 1024),
        )
        .dir("usr/share", dir)
        .dir("usr/share/doc", dir)
        .dir("usr/share/doc/demo", dir)
        .file(
            "usr/share/doc/demo/CHANGELOG.old",
            file,
            b"0.9: the old changelog, deleted by a whiteout in layer 3.\n",
        )
        .file(
            "usr/share/doc/demo/README.md",
            file,
            content::README.as_bytes(),
        )
        .dir("usr/share/pixmaps", dir)
        .file("usr/share/pixmaps/layerlens.png", file, &content::png(16))
        .dir("var", dir)
        .dir("var/cache", dir)
        .dir("var/cache/demo", dir)
        .file(
            "var/cache/demo/index.db",
            file,
            &content::noise(0xCAC4_E001, CACHE_SIZE),
        );
    LayerPlan {
        tar: b.finish(),
        packing: Packing::Gzip,
        created_by: "ADD rootfs.tar.gz / # buildkit".into(),
        minute: 1,
    }
}

/// Step 2 (gzip, per platform): the binary for the platform, a hard link
/// and a symlink to it, and `/etc/demo-arch` naming the platform.
pub fn arch(arch: Arch) -> LayerPlan {
    let m = t(3);
    let dir = Meta::root(0o755, m);
    let platform = match arch.variant {
        Some(v) => format!("linux/{}/{v}", arch.architecture),
        None => format!("linux/{}", arch.architecture),
    };
    let mut b = TarBuilder::new();
    b.dir("etc", dir)
        .file(
            "etc/demo-arch",
            Meta::root(0o644, m),
            format!("{platform}\n").as_bytes(),
        )
        .dir("usr", dir)
        .dir("usr/local", dir)
        .dir("usr/local/bin", dir)
        .file(
            "usr/local/bin/demo",
            dir,
            &content::elf(arch.machine, arch.seed(), BINARY_SIZE),
        )
        .hardlink("usr/local/bin/demo-server", "usr/local/bin/demo", dir)
        .symlink("usr/local/bin/run", "demo", Meta::root(0o777, m));
    LayerPlan {
        tar: b.finish(),
        packing: Packing::Gzip,
        created_by: format!(
            "COPY --chmod=0755 demo-linux-{} /usr/local/bin/demo # buildkit",
            arch.architecture
        ),
        minute: 3,
    }
}

/// Step 3 (zstd, shared): deletes a directory and a file with whiteouts,
/// replaces a plugin directory wholesale with an opaque marker, and modifies
/// `/etc/os-release`.
pub fn cleanup() -> LayerPlan {
    let m = t(4);
    let dir = Meta::root(0o755, m);
    let file = Meta::root(0o644, m);
    let mut b = TarBuilder::new();
    b.dir("etc", dir)
        .file("etc/os-release", file, &content::os_release("1.1"))
        .dir("opt", dir)
        .whiteout("opt/legacy", file.mode(0))
        .dir("usr", dir)
        .dir("usr/lib", dir)
        .dir("usr/lib/demo", dir)
        .dir("usr/lib/demo/plugins", dir)
        .opaque("usr/lib/demo/plugins", file.mode(0))
        .file(
            "usr/lib/demo/plugins/modern.so",
            file,
            &content::noise(0x30_DE, 12 * 1024),
        )
        .dir("usr/share", dir)
        .dir("usr/share/doc", dir)
        .dir("usr/share/doc/demo", dir)
        .whiteout("usr/share/doc/demo/CHANGELOG.old", file.mode(0));
    LayerPlan {
        tar: b.finish(),
        packing: Packing::Zstd,
        created_by: "RUN /bin/sh -c rm -rf /opt/legacy /usr/lib/demo/plugins \
                     /usr/share/doc/demo/CHANGELOG.old && mkdir /usr/lib/demo/plugins \
                     && cp /tmp/modern.so /usr/lib/demo/plugins/ \
                     && sed -i 's/VERSION=\"1\"/VERSION=\"1.1\"/' /etc/os-release # buildkit"
            .into(),
        minute: 4,
    }
}

/// A path longer than the 100 bytes of a ustar name: written with a PAX
/// `path` record.
pub const LONG_PATH: &str = "usr/share/demo/examples/a-directory-with-a-rather-long-name/\
     and-another-one-inside-it/long-file-name-that-needs-a-pax-header.txt";

/// Step 5 (gzip, shared): rewrites the 192 KiB cache (the first copy becomes
/// wasted space), adds a log and a file whose name needs PAX.
pub fn cache() -> LayerPlan {
    let m = t(6);
    let dir = Meta::root(0o755, m);
    let file = Meta::root(0o644, m);
    let mut b = TarBuilder::new();
    b.dir("usr", dir)
        .dir("usr/share", dir)
        .dir("usr/share/demo", dir)
        .dir("usr/share/demo/examples", dir)
        .dir(
            "usr/share/demo/examples/a-directory-with-a-rather-long-name",
            dir,
        )
        .dir(
            "usr/share/demo/examples/a-directory-with-a-rather-long-name/and-another-one-inside-it",
            dir,
        )
        .file(
            LONG_PATH,
            file,
            b"This name is longer than a ustar header can hold.\n",
        )
        .dir("var", dir)
        .dir("var/cache", dir)
        .dir("var/cache/demo", dir)
        .file(
            "var/cache/demo/index.db",
            file,
            &content::noise(0xCAC4_E002, CACHE_SIZE),
        )
        .dir("var/log", dir)
        .dir("var/log/demo", dir)
        .file("var/log/demo/build.log", file, &content::build_log(40));
    LayerPlan {
        tar: b.finish(),
        packing: Packing::Gzip,
        created_by: "RUN /bin/sh -c demo --rebuild-cache # buildkit".into(),
        minute: 6,
    }
}

/// Step 6 (uncompressed tar, shared): replaces `/etc/motd`.
pub fn motd() -> LayerPlan {
    let m = t(7);
    let mut b = TarBuilder::new();
    b.dir("etc", Meta::root(0o755, m))
        .file("etc/motd", Meta::root(0o644, m), &content::motd(true));
    LayerPlan {
        tar: b.finish(),
        packing: Packing::Tar,
        created_by: "COPY motd /etc/motd # buildkit".into(),
        minute: 7,
    }
}
