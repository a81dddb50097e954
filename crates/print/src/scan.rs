//! What is checked of an attachment before it is parsed: its pixel count from the header, how
//! deep a PDF nests, whether its type can go on paper.

/// The largest image a letter takes (about A4 at 600 dpi): decoding costs memory in
/// proportion to the pixels, not to the file's size.
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// Width and height of a PNG or JPEG, read from its header without decoding it.
pub fn image_size(media_type: &str, b: &[u8]) -> Option<(u32, u32)> {
    let be32 = |i: usize| Some(u32::from_be_bytes(b.get(i..i + 4)?.try_into().ok()?));
    let be16 = |i: usize| Some(u16::from_be_bytes(b.get(i..i + 2)?.try_into().ok()?) as u32);
    match media_type {
        "image/png" if b.get(12..16) == Some(b"IHDR") => Some((be32(16)?, be32(20)?)),
        "image/jpeg" => {
            let mut i = 2;
            loop {
                if *b.get(i)? != 0xFF {
                    return None;
                }
                let m = *b.get(i + 1)?;
                match m {
                    0xFF => i += 1,
                    0x01 | 0xD0..=0xD8 => i += 2,
                    0xC0..=0xCF if !matches!(m, 0xC4 | 0xC8 | 0xCC) => {
                        return Some((be16(i + 7)?, be16(i + 5)?));
                    }
                    _ => i += 2 + be16(i + 2)? as usize,
                }
            }
        }
        _ => None,
    }
}

/// The deepest nesting of arrays and dictionaries an attached PDF may have. Real documents
/// stay within a dozen; the parser recurses once per level, so a hostile file nested
/// thousands deep would exhaust any stack.
pub const MAX_PDF_NESTING: usize = 256;

/// How deep arrays and dictionaries nest in the uncompressed syntax of a PDF (strings,
/// comments and stream contents skipped). Objects inside compressed object streams are not
/// seen here: those stay behind the worker's stack limit.
pub fn pdf_nesting(b: &[u8]) -> usize {
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'%' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'(' => {
                // A literal string: balanced parentheses, backslash escapes.
                let mut open = 0usize;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 1,
                        b'(' => open += 1,
                        b')' => {
                            open -= 1;
                            if open == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            b'<' if b.get(i + 1) == Some(&b'<') => {
                depth += 1;
                max = max.max(depth);
                i += 1;
            }
            b'>' if b.get(i + 1) == Some(&b'>') => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'<' => {
                while i < b.len() && b[i] != b'>' {
                    i += 1;
                }
            }
            b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' => depth = depth.saturating_sub(1),
            b's' if b[i..].starts_with(b"stream") && !b[i..].starts_with(b"streamx") => {
                // Stream data is not syntax: skip to its end.
                match b[i..].windows(9).position(|w| w == b"endstream") {
                    Some(p) => i += p + 8,
                    None => break,
                }
            }
            _ => {}
        }
        i += 1;
    }
    max
}

/// Whether a file of this media type can be appended to a paper letter.
pub fn printable(media_type: &str) -> bool {
    matches!(
        media_type,
        "application/pdf" | "image/png" | "image/jpeg" | "text/plain" | "application/xml"
    )
}
