//! One sort for the whole crate, to keep the page's WebAssembly small.
//!
//! Every `slice::sort*` call compiles its own copy of the standard library's
//! sorting algorithms for its element type and comparator (a few kilobytes
//! each at `opt-level = "z"`); twenty of them were about 5% of the page's
//! code. Here the algorithm is compiled once: the standard stable sort orders
//! a vector of indices through a `dyn` comparator, and a small generic step
//! moves the elements into that order.
//!
//! The result is exactly that of the standard *stable* sort (equal elements
//! keep their order), so it also serves where an unstable sort was enough.
//! [`set_of`] and [`map_of`] build ordered sets and maps without the sort
//! that `collect()` into them runs (one more copy per element type).
//!
//! None of this is on the layer scanner's hot path; the extra indirection
//! costs little next to the comparisons themselves (byte-string paths).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Sorts `v` stably by `cmp`, like [`slice::sort_by`].
pub(crate) fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let order = order(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    permute(v, order);
}

/// Sorts `v` stably by the key `f` returns, like [`slice::sort_by_key`]
/// (which also computes the key at every comparison).
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut [T], mut f: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| f(a).cmp(&f(b)));
}

/// Sorts `v` stably in ascending order, like [`slice::sort`].
pub(crate) fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The set of `items`, like `collect::<BTreeSet<_>>()` but inserting one by
/// one: the standard `FromIterator` (and `From<[T; N]>`) sorts a vector
/// first, which compiles one more copy of the sort per element type.
pub(crate) fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    set.extend(items);
    set
}

/// The map of `entries`, like `collect::<BTreeMap<_, _>>()` but inserting
/// one by one (a later duplicate key wins, as with `collect`); see [`set_of`].
pub(crate) fn map_of<K: Ord, V>(entries: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(entries);
    map
}

/// The positions `0..n` in sorted order: the one monomorphic call of the
/// standard sort.
fn order(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| cmp(a, b));
    idx
}

/// Rearranges `v` so that `v[i]` becomes the old `v[order[i]]`, following
/// each cycle of the permutation with swaps (`order` is a permutation of
/// `0..v.len()`; it is used up as the visited marks).
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..v.len() {
        let mut cur = start;
        while order[cur] != DONE {
            let next = order[cur];
            order[cur] = DONE;
            if next == start {
                break;
            }
            // Position `cur` takes its element; the element that started
            // the cycle moves on to `next`, whose turn is next.
            v.swap(cur, next);
            cur = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    #[test]
    fn matches_the_standard_stable_sort() {
        let mut rng = Rng(7);
        for len in [0usize, 1, 2, 3, 5, 17, 64, 200, 1000] {
            for _ in 0..20 {
                // Few distinct keys, so stability shows.
                let v: Vec<(u8, usize)> = (0..len).map(|i| (rng.below(7) as u8, i)).collect();
                let mut want = v.clone();
                want.sort_by_key(|e| e.0);
                let mut got = v.clone();
                sort_by_key(&mut got, |e| e.0);
                assert_eq!(got, want);
                let mut want = v.clone();
                want.sort_by(|a, b| (a.0 % 3).cmp(&(b.0 % 3)).then_with(|| b.0.cmp(&a.0)));
                let mut got = v.clone();
                sort_by(&mut got, |a, b| {
                    (a.0 % 3).cmp(&(b.0 % 3)).then_with(|| b.0.cmp(&a.0))
                });
                assert_eq!(got, want);
                let mut want = v.clone();
                want.sort();
                let mut got = v;
                sort(&mut got);
                assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn moves_owned_elements_without_loss() {
        let mut v: Vec<String> = ["d", "b", "a", "c", "b"].map(String::from).to_vec();
        sort(&mut v);
        assert_eq!(v, ["a", "b", "b", "c", "d"]);
    }
}
