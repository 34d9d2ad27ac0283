//! Go's `text/tabwriter` (elastic tabstops) as Docker configures it for
//! table output: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)` — minimum cell
//! width 10, padding 3, padded with spaces, left-aligned.
//!
//! The algorithm is Go's: text is split into cells terminated by `\t`; the
//! last cell of a line (not tab-terminated) is not part of any column. A
//! column is a block of consecutive lines that all have a cell at that
//! position; its width is the widest cell plus the padding, at least the
//! minimum width. Blocks are formatted recursively left to right, so a line
//! with fewer cells ends a column block, exactly as Go does.
//!
//! Width is counted in Unicode scalar values (Docker's fork counts East
//! Asian wide characters as two; see the report's gaps).

/// Tabwriter settings (Go's `minwidth`, `padding`; `padchar` is always a space).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TabSettings {
    /// Minimal cell width including padding.
    pub min_width: usize,
    /// Padding added to a cell's width.
    pub padding: usize,
}

/// What `docker image ls` uses (`cli/command/formatter/formatter.go`).
pub const DOCKER_TABLE: TabSettings = TabSettings {
    min_width: 10,
    padding: 3,
};

struct Cell {
    text: String,
    width: usize,
}

/// Aligns tab-separated `text` the way Go's tabwriter does after `Flush`.
pub fn align(text: &str, settings: TabSettings) -> String {
    // A trailing newline terminates the last line; it does not start an empty one.
    let body = text.strip_suffix('\n');
    let lines: Vec<Vec<Cell>> = body
        .unwrap_or(text)
        .split('\n')
        .map(|line| {
            line.split('\t')
                .map(|c| Cell {
                    text: c.to_owned(),
                    width: c.chars().count(),
                })
                .collect()
        })
        .collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut widths = Vec::new();
    format_block(&lines, 0, lines.len(), &mut widths, settings, &mut out);
    if body.is_some() {
        out.push('\n');
    }
    out
}

/// Go's `Writer.format`: the column at `widths.len()` for lines `line0..line1`.
fn format_block(
    lines: &[Vec<Cell>],
    mut line0: usize,
    line1: usize,
    widths: &mut Vec<usize>,
    settings: TabSettings,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        // A cell exists in this column: print the lines before the block.
        write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut width = settings.min_width;
        while this < line1 && column + 1 < lines[this].len() {
            width = width.max(lines[this][column].width + settings.padding);
            this += 1;
        }
        widths.push(width);
        format_block(lines, line0, this, widths, settings, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, line0, line1, widths, out);
}

fn write_lines(
    lines: &[Vec<Cell>],
    line0: usize,
    line1: usize,
    widths: &[usize],
    out: &mut String,
) {
    for (i, line) in lines.iter().enumerate().take(line1).skip(line0) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(&cell.text);
            if let Some(&w) = widths.get(j) {
                if j + 1 < line.len() {
                    for _ in cell.width..w {
                        out.push(' ');
                    }
                }
            }
        }
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_to_the_widest_cell_plus_three() {
        let got = align("A\tBB\tC\nAAAAAAAAAAAA\tB\tCC\n", DOCKER_TABLE);
        // Column 0: 12 + 3 = 15 wide; column 1: the minimum, 10.
        let want = format!(
            "{:<15}{:<10}C\n{:<15}{:<10}CC\n",
            "A", "BB", "AAAAAAAAAAAA", "B"
        );
        assert_eq!(got, want);
    }

    #[test]
    fn a_short_line_ends_the_column_block() {
        // Go's doc example: b and c are in distinct columns.
        let got = align(
            "aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n",
            DOCKER_TABLE,
        );
        assert_eq!(
            got,
            "aaaa      bbb       d\naa        b         dd\na         \naa        cccc      eee\n"
        );
    }
}
