//! A tiny PNG encoder for tests (PNG spec: signature, IHDR, one IDAT with a
//! zlib stream of filter-0 scanlines, IEND; each chunk with its CRC-32), so
//! the image preview is tested on a real, valid image made in code.

use std::io::Write as _;

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// An 8-bit RGBA PNG of `width` × `height` pixels, `rgba` row by row.
pub fn png(width: u32, height: u32, rgba: &[[u8; 4]]) -> Vec<u8> {
    assert_eq!(
        rgba.len(),
        (width * height) as usize,
        "one colour per pixel"
    );
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // depth 8, RGBA, deflate, filter 0, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    let mut raw = Vec::new();
    for row in rgba.chunks(width as usize) {
        raw.push(0); // filter: none
        for px in row {
            raw.extend_from_slice(px);
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).expect("zlib into memory");
    chunk(&mut out, b"IDAT", &z.finish().expect("zlib into memory"));
    chunk(&mut out, b"IEND", &[]);
    out
}
