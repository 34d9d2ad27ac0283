//! A unified diff of two texts (`diff -u`'s hunks), by Myers' O(ND)
//! algorithm over lines: what the file viewer shows for a text file that a
//! compared image changed. The work is bounded: past [`MAX_EDITS`] inserted
//! and deleted lines the texts are called too different to show.

/// The most inserted plus deleted lines a diff is computed for.
pub const MAX_EDITS: usize = 1000;
/// Lines of context around each change.
pub const CONTEXT: usize = 3;

/// One line of a unified diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    /// `@@ -a,n +b,m @@`.
    Hunk(String),
    /// A line both have.
    Same(String),
    /// A line only the first has.
    Removed(String),
    /// A line only the second has.
    Added(String),
}

impl DiffLine {
    /// The line as `diff -u` prints it.
    pub fn text(&self) -> String {
        match self {
            DiffLine::Hunk(h) => h.clone(),
            DiffLine::Same(l) => format!(" {l}"),
            DiffLine::Removed(l) => format!("-{l}"),
            DiffLine::Added(l) => format!("+{l}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same(usize, usize),
    Del(usize),
    Ins(usize),
}

fn lines(text: &str) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut v: Vec<&str> = text.split('\n').collect();
    if text.ends_with('\n') {
        v.pop();
    }
    v
}

/// The edit script from `a` to `b`, or `None` past `max_d` edits.
///
/// For the way back, each round keeps only the diagonals it can reach
/// (`-(d+1)..=d+1`, as `i32`): about `max_d²` numbers at the worst, 4 MB at
/// [`MAX_EDITS`], instead of a full row per round.
fn script(a: &[&str], b: &[&str], max_d: usize) -> Option<Vec<Op>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max_d = max_d.min(a.len() + b.len());
    let off = max_d as isize + 1;
    let mut v = vec![0isize; 2 * max_d + 3];
    let mut trace: Vec<Vec<i32>> = Vec::new();
    let at = |k: isize| (k + off) as usize;
    let mut done = None;
    'outer: for d in 0..=max_d as isize {
        trace.push(
            v[at(-d - 1)..=at(d + 1)]
                .iter()
                .map(|&x| i32::try_from(x).unwrap_or(i32::MAX))
                .collect(),
        );
        let mut k = -d;
        while k <= d {
            let mut x = if k == -d || (k != d && v[at(k - 1)] < v[at(k + 1)]) {
                v[at(k + 1)]
            } else {
                v[at(k - 1)] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[at(k)] = x;
            if x >= n && y >= m {
                done = Some(d);
                break 'outer;
            }
            k += 2;
        }
    }
    let last = done?;
    let (mut x, mut y) = (n, m);
    let mut ops = Vec::new();
    for d in (0..=last).rev() {
        let row = &trace[d as usize];
        let v = |k: isize| row[(k + d + 1) as usize] as isize;
        let k = x - y;
        let prev_k = if k == -d || (k != d && v(k - 1) < v(k + 1)) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = v(prev_k);
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            ops.push(Op::Same(x as usize - 1, y as usize - 1));
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            if x == prev_x {
                ops.push(Op::Ins(y as usize - 1));
            } else {
                ops.push(Op::Del(x as usize - 1));
            }
        }
        x = prev_x;
        y = prev_y;
    }
    ops.reverse();
    Some(ops)
}

/// The unified diff of `a` and `b` with [`CONTEXT`] lines around each
/// change: empty when they are the same, `None` when they differ in more
/// than [`MAX_EDITS`] lines.
pub fn unified(a: &str, b: &str) -> Option<Vec<DiffLine>> {
    let (la, lb) = (lines(a), lines(b));
    let ops = script(&la, &lb, MAX_EDITS)?;
    // Hunks: runs of ops within CONTEXT lines of a change.
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| !matches!(o, Op::Same(..)))
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(CONTEXT);
        let mut end = changed[i];
        while i < changed.len() && changed[i] <= end + 2 * CONTEXT + 1 {
            end = changed[i];
            i += 1;
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let slice = &ops[start..end];
        // Line numbers (1-based) where the hunk starts on each side.
        let (mut a0, mut b0) = (0usize, 0usize);
        for o in &ops[..start] {
            match o {
                Op::Same(..) => {
                    a0 += 1;
                    b0 += 1;
                }
                Op::Del(_) => a0 += 1,
                Op::Ins(_) => b0 += 1,
            }
        }
        let a_len = slice.iter().filter(|o| !matches!(o, Op::Ins(_))).count();
        let b_len = slice.iter().filter(|o| !matches!(o, Op::Del(_))).count();
        let from = |n0: usize, len: usize| if len == 0 { n0 } else { n0 + 1 };
        out.push(DiffLine::Hunk(format!(
            "@@ -{},{a_len} +{},{b_len} @@",
            from(a0, a_len),
            from(b0, b_len)
        )));
        for o in slice {
            out.push(match *o {
                Op::Same(x, _) => DiffLine::Same(la[x].to_owned()),
                Op::Del(x) => DiffLine::Removed(la[x].to_owned()),
                Op::Ins(y) => DiffLine::Added(lb[y].to_owned()),
            });
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(d: &[DiffLine]) -> String {
        d.iter().map(|l| l.text() + "\n").collect()
    }

    #[test]
    fn same_texts_have_no_hunks() {
        assert_eq!(unified("a\nb\n", "a\nb\n"), Some(Vec::new()));
        assert_eq!(unified("", ""), Some(Vec::new()));
    }

    #[test]
    fn a_changed_line_in_the_middle_is_one_hunk_with_context() {
        let a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            text(&unified(a, b).unwrap()),
            "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn far_apart_changes_are_two_hunks_and_near_ones_one() {
        let a: String = (1..=30).map(|i| format!("{i}\n")).collect();
        let b = a.replace("\n2\n", "\ntwo\n").replace("\n28\n", "\n");
        let d = unified(&a, &b).unwrap();
        let hunks: Vec<&DiffLine> = d
            .iter()
            .filter(|l| matches!(l, DiffLine::Hunk(_)))
            .collect();
        assert_eq!(hunks.len(), 2, "{}", text(&d));
        // 25, 26, 27 before the removed 28; 29 and 30 after it.
        assert_eq!(hunks[1], &DiffLine::Hunk("@@ -25,6 +25,5 @@".into()));
        let b = a.replace("\n2\n", "\ntwo\n").replace("\n6\n", "\nsix\n");
        let d = unified(&a, &b).unwrap();
        assert_eq!(
            d.iter().filter(|l| matches!(l, DiffLine::Hunk(_))).count(),
            1
        );
    }

    #[test]
    fn additions_to_an_empty_text_and_removals_of_all() {
        assert_eq!(
            text(&unified("", "x\ny\n").unwrap()),
            "@@ -0,0 +1,2 @@\n+x\n+y\n"
        );
        assert_eq!(text(&unified("x\n", "").unwrap()), "@@ -1,1 +0,0 @@\n-x\n");
    }

    #[test]
    fn applying_the_diff_gives_the_second_text() {
        let mut r = crate::test_rng::Rng(7);
        for _ in 0..200 {
            let a: Vec<String> = (0..r.below(30)).map(|_| r.below(5).to_string()).collect();
            let b: Vec<String> = (0..r.below(30)).map(|_| r.below(5).to_string()).collect();
            let (ta, tb) = (a.join("\n"), b.join("\n"));
            let ops = script(&lines(&ta), &lines(&tb), MAX_EDITS).unwrap();
            let rebuilt: Vec<&str> = ops
                .iter()
                .filter_map(|o| match *o {
                    Op::Same(x, _) => Some(lines(&ta)[x]),
                    Op::Ins(y) => Some(lines(&tb)[y]),
                    Op::Del(_) => None,
                })
                .collect();
            assert_eq!(rebuilt, lines(&tb));
            let kept: Vec<&str> = ops
                .iter()
                .filter_map(|o| match *o {
                    Op::Same(x, _) | Op::Del(x) => Some(lines(&ta)[x]),
                    Op::Ins(_) => None,
                })
                .collect();
            assert_eq!(kept, lines(&ta));
        }
    }

    #[test]
    fn the_most_edits_allowed_still_diff() {
        // All different, MAX_EDITS edits in all (found by fuzzing when every
        // round kept a full row for the way back: 180 lines a side took
        // over 256 MiB under ASan).
        let half = MAX_EDITS / 2;
        let a: String = (0..half).map(|i| format!("a{i}\n")).collect();
        let b: String = (0..half).map(|i| format!("b{i}\n")).collect();
        let d = unified(&a, &b).expect("within the bound");
        assert_eq!(
            d.iter()
                .filter(|l| matches!(l, DiffLine::Removed(_)))
                .count(),
            half
        );
        assert_eq!(
            d.iter().filter(|l| matches!(l, DiffLine::Added(_))).count(),
            half
        );
    }

    #[test]
    fn too_different_texts_are_refused() {
        let a: String = (0..600).map(|i| format!("a{i}\n")).collect();
        let b: String = (0..600).map(|i| format!("b{i}\n")).collect();
        assert_eq!(unified(&a, &b), None);
    }
}
