//! A human rendering of a tree (`tree --format text`): `ls -l`-style modes,
//! owners, sizes (directories show their subtree total), the layer each node
//! came from, and names indented by depth. Names are escaped like the
//! listing, so a hostile name cannot forge lines.

use std::fmt::Write as _;

use crate::layer::EntryKind;

use super::listing::escape;
use super::merged::MergedFs;
use super::tree::NodeId;

/// `drwxr-xr-x`-style mode string, with `s`/`S` and `t`/`T` for
/// setuid/setgid/sticky as `ls` shows them.
pub fn mode_string(kind: EntryKind, mode: u32) -> String {
    let t = match kind {
        EntryKind::Directory => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::CharDevice => 'c',
        EntryKind::BlockDevice => 'b',
        EntryKind::Fifo => 'p',
        EntryKind::File | EntryKind::HardLink => '-',
    };
    let mode = if kind == EntryKind::Symlink {
        0o777
    } else {
        mode
    };
    let bit = |m: u32, c: char| if mode & m != 0 { c } else { '-' };
    let special = |x: u32, s: u32, lower: char, upper: char| match (mode & x != 0, mode & s != 0) {
        (true, true) => lower,
        (false, true) => upper,
        (true, false) => 'x',
        (false, false) => '-',
    };
    [
        t,
        bit(0o400, 'r'),
        bit(0o200, 'w'),
        special(0o100, 0o4000, 's', 'S'),
        bit(0o040, 'r'),
        bit(0o020, 'w'),
        special(0o010, 0o2000, 's', 'S'),
        bit(0o004, 'r'),
        bit(0o002, 'w'),
        special(0o001, 0o1000, 't', 'T'),
    ]
    .iter()
    .collect()
}

/// A size in bytes with a binary (IEC, 1024-based) unit and one decimal,
/// as `ls -h` and dive print it: `512`, `1.5K`, `3.0M`. The image, layers,
/// tree and file views and `layerlens inspect` use it, where a size is read
/// next to file sizes. The images page uses Docker's decimal convention
/// instead ([`crate::dockerfmt::human::human_size_decimal`]), as
/// `docker image ls` does; one view never mixes the two.
pub fn human_size_binary(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["K", "M", "G", "T", "P", "E"];
    if bytes < 1024 {
        return bytes.to_string();
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1}{}", UNITS[unit])
}

impl MergedFs {
    /// The tree as indented text, one node per line, children in name order:
    /// `MODE UID:GID SIZE LAYER NAME[ -> TARGET]`.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let mut stack: Vec<(NodeId, usize)> = vec![(self.root(), 0)];
        while let Some((id, depth)) = stack.pop() {
            let Some(node) = self.node(id) else { continue };
            let name = if id == self.root() {
                "/".to_string()
            } else {
                escape(node.name())
            };
            let size = match node.kind() {
                EntryKind::Directory | EntryKind::File => human_size_binary(node.total_size()),
                _ => "-".to_string(),
            };
            let _ = write!(
                out,
                "{} {:>5}:{:<5} {:>7} L{:<3} {:indent$}{}",
                mode_string(node.kind(), node.mode()),
                node.uid(),
                node.gid(),
                size,
                node.layer(),
                "",
                name,
                indent = depth * 2
            );
            if let Some(leader) = node.hardlink_leader() {
                let _ = write!(out, " => /{}", escape(&self.path(leader)));
            } else if let Some(t) = node.link_target() {
                let arrow = if node.kind() == EntryKind::HardLink {
                    " => /"
                } else {
                    " -> "
                };
                let _ = write!(out, "{arrow}{}", escape(t));
            } else if let Some((major, minor)) = node.device() {
                let _ = write!(out, " [{major},{minor}]");
            }
            out.push('\n');
            for c in self.children(id).into_iter().rev() {
                stack.push((c, depth + 1));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_like_ls() {
        assert_eq!(mode_string(EntryKind::File, 0o755), "-rwxr-xr-x");
        assert_eq!(mode_string(EntryKind::Directory, 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string(EntryKind::File, 0o4644), "-rwSr--r--");
        assert_eq!(mode_string(EntryKind::File, 0o6755), "-rwsr-sr-x");
        assert_eq!(mode_string(EntryKind::Symlink, 0o600), "lrwxrwxrwx");
        assert_eq!(mode_string(EntryKind::Directory, 0o1770), "drwxrwx--T");
    }

    #[test]
    fn sizes_with_units() {
        assert_eq!(human_size_binary(0), "0");
        assert_eq!(human_size_binary(1023), "1023");
        assert_eq!(human_size_binary(1536), "1.5K");
        assert_eq!(human_size_binary(3 * 1024 * 1024), "3.0M");
    }
}
