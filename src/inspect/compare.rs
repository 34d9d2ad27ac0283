//! Two images side by side: what changed in their merged trees
//! ([`crate::fs::diff`]), in the config fields a person reads, and which
//! layers they share. The command line's `layerlens diff` and the page's
//! comparison both read this, so the rules are written once.

use crate::fs::diff::{diff_listings, DiffOptions, TreeDiff};
use crate::fs::MergedFs;
use crate::oci::{Digest, ImageConfig};

use super::Image;

/// The config fields compared, in the order shown.
pub const CONFIG_FIELDS: [&str; 7] = [
    "Env",
    "Cmd",
    "Entrypoint",
    "User",
    "WorkingDir",
    "ExposedPorts",
    "Labels",
];

/// An image config's [`CONFIG_FIELDS`], each as a list of text (empty when
/// unset; `Labels` as `key=value`). No config: no fields.
pub fn config_fields(c: Option<&ImageConfig>) -> Vec<(&'static str, Vec<String>)> {
    let Some(c) = c.map(ImageConfig::config) else {
        return Vec::new();
    };
    let list = |v: Option<&[String]>| v.map(<[String]>::to_vec).unwrap_or_default();
    vec![
        ("Env", c.env().map(str::to_owned).collect()),
        ("Cmd", list(c.cmd())),
        ("Entrypoint", list(c.entrypoint())),
        ("User", c.user().map(str::to_owned).into_iter().collect()),
        (
            "WorkingDir",
            c.working_dir().map(str::to_owned).into_iter().collect(),
        ),
        (
            "ExposedPorts",
            c.exposed_ports().map(str::to_owned).collect(),
        ),
        (
            "Labels",
            c.labels().iter().map(|(k, v)| format!("{k}={v}")).collect(),
        ),
    ]
}

/// One config field on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigField {
    /// Its name (one of [`CONFIG_FIELDS`]).
    pub name: &'static str,
    /// The first image's values.
    pub a: Vec<String>,
    /// The second image's values.
    pub b: Vec<String>,
}

impl ConfigField {
    /// Whether the two sides differ.
    pub fn differs(&self) -> bool {
        self.a != self.b
    }
}

/// Every compared config field of both images, differing or not (an image
/// without a config has every field empty).
pub fn config_side_by_side(a: &Image, b: &Image) -> Vec<ConfigField> {
    let (fa, fb) = (
        config_fields(a.image_config()),
        config_fields(b.image_config()),
    );
    let values = |fields: &[(&'static str, Vec<String>)], name: &str| {
        fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    CONFIG_FIELDS
        .iter()
        .map(|name| ConfigField {
            name,
            a: values(&fa, name),
            b: values(&fb, name),
        })
        .collect()
}

/// A row of the two layer lists aligned by diff_id: a layer both images
/// have, or one only one of them has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerPair {
    /// The first image's layer (manifest position).
    pub a: Option<usize>,
    /// The second image's layer.
    pub b: Option<usize>,
    /// The diff_id (of whichever side has it).
    pub diff_id: Option<Digest>,
}

/// How the two images' layers relate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedLayers {
    /// Layers of the first image.
    pub a: usize,
    /// Layers of the second image.
    pub b: usize,
    /// The second image's layers (by diff_id) that the first also has.
    pub shared: Vec<Digest>,
    /// How many layers, from the bottom, are the same in both: the base
    /// they share.
    pub base: usize,
    /// Both lists aligned: the common base pairwise, then the second
    /// image's other layers (paired with the first's same diff_id when it
    /// has one, in any position), then the first's layers left over.
    pub pairs: Vec<LayerPair>,
}

fn diff_ids(i: &Image) -> Vec<Digest> {
    i.image_config()
        .map(|c| c.diff_ids().to_vec())
        .unwrap_or_default()
}

/// The layers the two images share, by diff_id (what the tar stream is,
/// whatever its compression).
pub fn shared_layers(a: &Image, b: &Image) -> SharedLayers {
    let (ids_a, ids_b) = (diff_ids(a), diff_ids(b));
    let shared: Vec<Digest> = ids_b
        .iter()
        .filter(|d| ids_a.contains(d))
        .cloned()
        .collect();
    let base = ids_a.iter().zip(&ids_b).take_while(|(x, y)| x == y).count();
    let mut used = vec![false; ids_a.len()];
    let mut pairs = Vec::with_capacity(ids_a.len().max(ids_b.len()));
    for (i, d) in ids_b.iter().enumerate() {
        let partner = if i < base {
            Some(i)
        } else {
            (base..ids_a.len()).find(|&j| !used[j] && ids_a[j] == *d)
        };
        if let Some(j) = partner {
            used[j] = true;
        }
        pairs.push(LayerPair {
            a: partner,
            b: Some(i),
            diff_id: Some(d.clone()),
        });
    }
    for (j, d) in ids_a.iter().enumerate() {
        if !used[j] {
            pairs.push(LayerPair {
                a: Some(j),
                b: None,
                diff_id: Some(d.clone()),
            });
        }
    }
    SharedLayers {
        a: ids_a.len(),
        b: ids_b.len(),
        shared,
        base,
        pairs,
    }
}

/// Two images compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The paths added, removed and modified from the first merged tree to
    /// the second.
    pub tree: TreeDiff,
    /// The config fields on both sides.
    pub config: Vec<ConfigField>,
    /// The layers they share.
    pub layers: SharedLayers,
}

impl Comparison {
    /// Compares image `a` (merged tree `fa`) with image `b` (`fb`).
    pub fn of(a: &Image, fa: &MergedFs, b: &Image, fb: &MergedFs, options: DiffOptions) -> Self {
        Comparison {
            tree: diff_listings(&fa.listing(), &fb.listing(), options),
            config: config_side_by_side(a, b),
            layers: shared_layers(a, b),
        }
    }

    /// The config fields that differ.
    pub fn config_changes(&self) -> impl Iterator<Item = &ConfigField> {
        self.config.iter().filter(|f| f.differs())
    }

    /// Whether the merged trees and the compared config fields are the same.
    pub fn is_same(&self) -> bool {
        self.tree.is_empty() && self.config_changes().next().is_none()
    }
}
