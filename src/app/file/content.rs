//! What a file's bytes are and how they are shown: text or binary, an image
//! type by its magic bytes, a numbered text listing and an `xxd`-style hex
//! dump, each bounded so a large file cannot flood the page.
//!
//! # The text rule
//!
//! Bytes are **text** when all of these hold (empty files are text):
//!
//! * they are valid UTF-8 — except that a multi-byte sequence cut off by
//!   the end of what was examined is accepted (the display limit may fall
//!   inside a character);
//! * they contain no NUL byte (no text format uses one; nearly every binary
//!   format has them early);
//! * at most one byte in a hundred is a control character other than TAB,
//!   LF, CR, FF and ESC (a stray backspace in a man page is still text).
//!
//! Anything else is shown as hex by default; the user can switch either way.

use std::fmt::Write as _;

/// The most bytes the viewer keeps and examines (the download gives all).
pub const DISPLAY_LIMIT: usize = 1 << 20;
/// The most lines the text view shows.
pub const MAX_TEXT_LINES: usize = 10_000;
/// The most bytes the hex view shows (4096 rows of 16).
pub const HEX_LIMIT: usize = 64 << 10;

/// What a file is, judged from its first bytes (and its name as a hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text (see the module documentation for the rule).
    Text,
    /// Anything else.
    Binary,
    /// An image a browser can show; the MIME type the Blob gets.
    Image(&'static str),
}

/// Whether `bytes` are text by the module's rule.
pub fn is_text(bytes: &[u8]) -> bool {
    if bytes.contains(&0) {
        return false;
    }
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => true,
        // `error_len() == None`: the input ended inside a character.
        Err(e) => e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4,
    };
    if !valid {
        return false;
    }
    let controls = bytes
        .iter()
        .filter(|b| {
            (**b < 0x20 && !matches!(**b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || **b == 0x7f
        })
        .count();
    controls * 100 <= bytes.len()
}

fn extension(name: &[u8]) -> String {
    let base = name.rsplit(|b| *b == b'/').next().unwrap_or(name);
    match base.iter().rposition(|b| *b == b'.') {
        Some(i) if i > 0 => String::from_utf8_lossy(&base[i + 1..]).to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Whether text is an SVG document: its first element (after an XML
/// declaration, comments, a doctype and whitespace) is `<svg`.
fn is_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let s = String::from_utf8_lossy(head);
    let mut rest = s.trim_start_matches('\u{feff}').trim_start();
    for _ in 0..16 {
        if rest.starts_with("<svg") {
            return true;
        }
        let close = if rest.starts_with("<?") {
            "?>"
        } else if rest.starts_with("<!--") {
            "-->"
        } else if rest.starts_with("<!") {
            ">"
        } else {
            return false;
        };
        match rest.find(close) {
            Some(i) => rest = rest[i + close.len()..].trim_start(),
            None => return false,
        }
    }
    false
}

/// The image type of `bytes`, decided by magic bytes; the name's extension
/// only confirms the weak signatures (BMP's `BM`, ICO's four bytes).
pub fn image_type(bytes: &[u8], name: &[u8]) -> Option<&'static str> {
    let ext = extension(name);
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some("image/gif");
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if bytes.starts_with(b"BM") && bytes.len() >= 26 && ext == "bmp" {
        return Some("image/bmp");
    }
    if bytes.starts_with(&[0, 0, 1, 0]) && bytes.len() >= 6 && bytes[4..6] != [0, 0] && ext == "ico"
    {
        return Some("image/x-icon");
    }
    if is_text(bytes) && is_svg(bytes) {
        return Some("image/svg+xml");
    }
    None
}

/// The longest side, in pixels, of an SVG preview's raster: big enough
/// for any screen, small enough that a hostile `width="1e9"` costs nothing.
pub const MAX_RASTER_SIDE: u32 = 4096;
/// The side of an SVG preview when the SVG gives no size of its own.
pub const DEFAULT_RASTER_SIDE: u32 = 512;

/// The pixel size an SVG of natural size `width`×`height` (0 when the
/// SVG states none) is drawn at for its preview: the natural size, a
/// square of the known side when one is missing, [`DEFAULT_RASTER_SIDE`]
/// when both are, scaled down to fit [`MAX_RASTER_SIDE`] with its aspect
/// kept, and never below one pixel. SVG previews are pictures, never
/// documents (issue 10: an SVG document of the page's origin ran scripts).
pub fn raster_size(width: u32, height: u32) -> (u32, u32) {
    let (w, h) = match (width, height) {
        (0, 0) => (DEFAULT_RASTER_SIDE, DEFAULT_RASTER_SIDE),
        (0, h) => (h, h),
        (w, 0) => (w, w),
        wh => wh,
    };
    let longest = w.max(h);
    if longest <= MAX_RASTER_SIDE {
        return (w, h);
    }
    let scale = |side: u32| {
        let scaled = u64::from(side) * u64::from(MAX_RASTER_SIDE) / u64::from(longest);
        (scaled as u32).max(1)
    };
    (scale(w), scale(h))
}

/// What a file is: an image, text or binary.
pub fn classify(bytes: &[u8], name: &[u8]) -> Kind {
    match image_type(bytes, name) {
        Some(mime) => Kind::Image(mime),
        None if is_text(bytes) => Kind::Text,
        None => Kind::Binary,
    }
}

/// A listing ready to draw: the line-number gutter and the body, both as
/// text (drawn as text nodes), and what was left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// One number per line, `\n`-separated.
    pub gutter: String,
    /// The lines, `\n`-separated.
    pub body: String,
    /// Lines shown.
    pub lines: usize,
    /// Whether the listing stops before the end of the file.
    pub truncated: bool,
}

/// Control characters other than TAB as their visible Unicode pictures
/// (`␛` for ESC), so they neither vanish nor act on the terminal-like view.
fn visible(c: char) -> char {
    match c {
        '\t' => '\t',
        '\u{7f}' => '\u{2421}',
        c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        c => c,
    }
}

/// Text with line numbers: lines end at LF (a CR before it is dropped); a
/// final LF does not start another line. At most `max_lines` lines are
/// shown; `complete` says whether `bytes` is the whole file. Invalid UTF-8
/// (a character cut by the display limit) shows as U+FFFD.
pub fn text_listing(bytes: &[u8], complete: bool, max_lines: usize) -> Listing {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Listing::default();
    let mut rest: &str = &text;
    if rest.is_empty() {
        return out;
    }
    while !rest.is_empty() {
        if out.lines == max_lines {
            out.truncated = true;
            break;
        }
        let (line, next) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        if out.lines > 0 {
            out.gutter.push('\n');
            out.body.push('\n');
        }
        out.lines += 1;
        let _ = write!(out.gutter, "{}", out.lines);
        out.body.extend(line.chars().map(visible));
        rest = next;
    }
    out.truncated |= !complete;
    out
}

/// A hex dump of `bytes` starting at file offset 0, like `hexdump -C`:
/// an 8-digit hex offset, two spaces, 16 bytes in two groups of eight, and
/// the printable ASCII between bars (`.` for the rest). Rows are separated
/// by `\n`; a last short row is padded so its ASCII column lines up.
pub fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() / 16 * 79 + 79);
    for (row, chunk) in bytes.chunks(16).enumerate() {
        if row > 0 {
            out.push('\n');
        }
        let _ = write!(out, "{:08x}  ", row * 16);
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push(' ');
        out.push('|');
        out.extend(chunk.iter().map(|b| {
            if (0x20..0x7f).contains(b) {
                *b as char
            } else {
                '.'
            }
        }));
        out.push('|');
    }
    out
}
