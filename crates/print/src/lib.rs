//! Documents for people, as PDF: the A4 letters of the hybrid paper channel (a cover page with
//! the tracking number and verification code, the letter, its attachments appended) and the
//! print-ready batch a post office prints in one go.
//!
//! The printing rules of hybrid mail: A4, margins of at least 10/8/15/15 mm, no form fields,
//! no encryption, at most 98 sheets. Everything here is drawn inside [`MARGINS_MM`] (15 mm or
//! more on every side), attachment pages are scaled into that frame and only their content is
//! taken (annotations and form widgets of an attached PDF are dropped), and nothing is
//! encrypted. Pure functions: bytes in, bytes out, no IO.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::pdf::PdfDocument;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use std::sync::Arc;

/// A4 in PDF points.
pub const A4: (f32, f32) = (595.276, 841.89);
/// Top, right, bottom, left, in millimetres.
pub const MARGINS_MM: [f32; 4] = [15.0, 15.0, 17.0, 20.0];
/// Hybrid mail prints one side per sheet: at most this many pages.
pub const MAX_SHEETS: usize = 98;

const PT_PER_MM: f32 = 72.0 / 25.4;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrintError {
    /// Attachment `n` (from 0) cannot be printed: not a PDF, image or text we can render.
    #[error("attachment {0} cannot be printed")]
    Unprintable(usize),
    #[error("the letter would need {0} sheets")]
    TooManySheets(usize),
    #[error("pdf: {0}")]
    Pdf(String),
}

/// A file to append to a letter.
pub struct Appendix<'a> {
    pub name: &'a str,
    pub media_type: &'a str,
    pub bytes: &'a [u8],
}

/// Fixed texts of a letter, in the language it is printed in.
pub struct Labels {
    pub cover_title: String,
    pub tracking_number: String,
    pub verification_code: String,
    pub verify_at: String,
    pub sender: String,
    pub recipient: String,
    pub pages: String,
    pub attachment: String,
    pub page_of: String,
}

/// One letter of the hybrid paper channel.
pub struct Letter<'a> {
    pub labels: &'a Labels,
    pub tracking_number: &'a str,
    pub verification_code: &'a str,
    pub verify_url: &'a str,
    pub sender_lines: Vec<String>,
    pub recipient_lines: Vec<String>,
    pub date: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub attachments: Vec<Appendix<'a>>,
}

/// A rendered letter.
#[derive(Debug)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub pages: usize,
}

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

struct Fonts {
    regular: Font,
    bold: Font,
    measure: ttf_parser::Face<'static>,
    measure_bold: ttf_parser::Face<'static>,
}

impl Fonts {
    fn load() -> Result<Self, PrintError> {
        let font =
            |b: &'static [u8]| Font::new(b.into(), 0).ok_or_else(|| PrintError::Pdf("font".into()));
        let face = |b: &'static [u8]| {
            ttf_parser::Face::parse(b, 0).map_err(|e| PrintError::Pdf(e.to_string()))
        };
        Ok(Fonts {
            regular: font(dejavu::sans::regular())?,
            bold: font(dejavu::sans::bold())?,
            measure: face(dejavu::sans::regular())?,
            measure_bold: face(dejavu::sans::bold())?,
        })
    }

    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = if bold {
            &self.measure_bold
        } else {
            &self.measure
        };
        let upem = f32::from(face.units_per_em());
        let units: f32 = text
            .chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map(f32::from)
                    .unwrap_or(upem * 0.6)
            })
            .sum();
        units * size / upem
    }
}

/// The printable frame of a page: left, top, width, height in points (y grows downwards).
fn frame() -> (f32, f32, f32, f32) {
    let [top, right, bottom, left] = MARGINS_MM.map(|m| m * PT_PER_MM);
    (left, top, A4.0 - left - right, A4.1 - top - bottom)
}

/// Breaks text into lines no wider than `width`: at spaces where possible, inside a word
/// where a single word is wider than a line. Keeps empty lines.
fn wrap(fonts: &Fonts, text: &str, size: f32, width: f32, bold: bool) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.replace('\t', "    ").lines() {
        let para: String = para.chars().filter(|c| !c.is_control()).collect();
        let mut line = String::new();
        for word in para.split(' ') {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if fonts.width(&candidate, size, bold) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            // The word alone: split it where it overflows.
            for c in word.chars() {
                let mut next = line.clone();
                next.push(c);
                if fonts.width(&next, size, bold) > width && !line.is_empty() {
                    out.push(std::mem::replace(&mut line, c.to_string()));
                } else {
                    line = next;
                }
            }
        }
        out.push(line);
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// One piece of page content, laid out before drawing so the page count is known first.
enum Block {
    Text {
        lines: Vec<String>,
        size: f32,
        bold: bool,
    },
    Gap(f32),
    NewPage,
    Image(krilla::image::Image),
    PdfPages(PdfDocument, Vec<(f32, f32)>),
}

fn line_height(size: f32) -> f32 {
    size * 1.35
}

/// One thing drawn on a page, at a place in points from the top-left corner.
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Image(krilla::image::Image, f32, f32, Size),
    PdfPage(PdfDocument, usize, f32, f32, Size),
}

/// Lays blocks out on pages inside the frame: what each page of the letter shows.
fn layout(blocks: &[Block]) -> Vec<Vec<Op>> {
    let (x, top, w, h) = frame();
    let mut pages: Vec<Vec<Op>> = vec![Vec::new()];
    let mut y = 0.0;
    for b in blocks {
        match b {
            Block::Text { lines, size, bold } => {
                for l in lines {
                    if y + line_height(*size) > h {
                        pages.push(Vec::new());
                        y = 0.0;
                    }
                    if let Some(p) = pages.last_mut() {
                        p.push(Op::Text {
                            x,
                            y: top + y,
                            size: *size,
                            bold: *bold,
                            text: l.clone(),
                        });
                    }
                    y += line_height(*size);
                }
            }
            Block::Gap(g) => y += g,
            Block::NewPage => {
                if y > 0.0 {
                    pages.push(Vec::new());
                    y = 0.0;
                }
            }
            // Below the attachment's heading, scaled into what is left of the frame.
            Block::Image(img) => {
                let (iw, ih) = img.size();
                let (iw, ih) = (iw.max(1) as f32, ih.max(1) as f32);
                let scale = (w / iw).min((h - y) / ih);
                if let (Some(size), Some(p)) =
                    (Size::from_wh(iw * scale, ih * scale), pages.last_mut())
                {
                    p.push(Op::Image(img.clone(), x, top + y, size));
                }
                y = h;
            }
            Block::PdfPages(pdf, dims) => {
                for (i, (pw, ph)) in dims.iter().enumerate() {
                    if i > 0 {
                        pages.push(Vec::new());
                        y = 0.0;
                    }
                    // Leave room for the footer line.
                    let scale = (w / pw).min((h - y - 12.0) / ph);
                    if let (Some(size), Some(p)) =
                        (Size::from_wh(pw * scale, ph * scale), pages.last_mut())
                    {
                        p.push(Op::PdfPage(pdf.clone(), i, x, top + y, size));
                    }
                    y = h;
                }
            }
        }
    }
    pages
}

struct Painter<'f> {
    fonts: &'f Fonts,
}

impl Painter<'_> {
    fn text(&self, s: &mut Surface<'_>, x: f32, y: f32, size: f32, bold: bool, t: &str) {
        let font = if bold {
            self.fonts.bold.clone()
        } else {
            self.fonts.regular.clone()
        };
        s.set_fill(Some(Fill {
            paint: rgb::Color::black().into(),
            ..Default::default()
        }));
        s.draw_text(
            Point::from_xy(x, y + size),
            font,
            size,
            t,
            false,
            TextDirection::Auto,
        );
    }

    fn rule(&self, s: &mut Surface<'_>, x1: f32, y: f32, x2: f32) {
        let mut pb = PathBuilder::new();
        pb.move_to(x1, y);
        pb.line_to(x2, y);
        if let Some(path) = pb.finish() {
            s.set_fill(None);
            s.set_stroke(Some(Stroke {
                paint: rgb::Color::black().into(),
                width: 0.6,
                ..Default::default()
            }));
            s.draw_path(&path);
            s.set_stroke(None);
        }
    }
}

fn a4() -> Result<PageSettings, PrintError> {
    PageSettings::from_wh(A4.0, A4.1).ok_or_else(|| PrintError::Pdf("page size".into()))
}

/// Renders one letter: a cover page, the letter's pages, then every attachment.
pub fn render_letter(letter: &Letter<'_>) -> Result<Rendered, PrintError> {
    let fonts = Fonts::load()?;
    let (_, _, fw, _) = frame();
    let text = |lines: Vec<String>, size: f32, bold: bool| Block::Text { lines, size, bold };
    let mut blocks: Vec<Block> = vec![
        text(letter.sender_lines.clone(), 10.0, false),
        Block::Gap(14.0),
        text(vec![letter.date.to_string()], 10.0, false),
        Block::Gap(10.0),
        text(wrap(&fonts, letter.subject, 13.0, fw, true), 13.0, true),
        Block::Gap(10.0),
        text(wrap(&fonts, letter.body, 11.0, fw, false), 11.0, false),
    ];
    for (n, a) in letter.attachments.iter().enumerate() {
        blocks.push(Block::NewPage);
        blocks.push(Block::Text {
            lines: wrap(
                &fonts,
                &format!("{} {}: {}", letter.labels.attachment, n + 1, a.name),
                9.0,
                fw,
                true,
            ),
            size: 9.0,
            bold: true,
        });
        blocks.push(Block::Gap(6.0));
        match a.media_type {
            "application/pdf" => {
                if pdf_nesting(a.bytes) > MAX_PDF_NESTING {
                    return Err(PrintError::Unprintable(n));
                }
                let pdf = krilla::pdf::Pdf::new(Arc::new(a.bytes.to_vec()))
                    .map_err(|_| PrintError::Unprintable(n))?;
                let dims: Vec<(f32, f32)> =
                    pdf.pages().iter().map(|p| p.render_dimensions()).collect();
                if dims.is_empty() || dims.iter().any(|(w, h)| *w <= 0.0 || *h <= 0.0) {
                    return Err(PrintError::Unprintable(n));
                }
                blocks.push(Block::PdfPages(PdfDocument::new(Arc::new(pdf)), dims));
            }
            "image/png" | "image/jpeg" => {
                match image_size(a.media_type, a.bytes) {
                    Some((w, h)) if w > 0 && h > 0 && w as u64 * h as u64 <= MAX_IMAGE_PIXELS => {}
                    _ => return Err(PrintError::Unprintable(n)),
                }
                let data: krilla::Data = a.bytes.to_vec().into();
                let img = if a.media_type == "image/png" {
                    krilla::image::Image::from_png(data, true)
                } else {
                    krilla::image::Image::from_jpeg(data, true)
                }
                .map_err(|_| PrintError::Unprintable(n))?;
                blocks.push(Block::Image(img));
            }
            "text/plain" | "application/xml" => {
                let text = std::str::from_utf8(a.bytes).map_err(|_| PrintError::Unprintable(n))?;
                blocks.push(Block::Text {
                    lines: wrap(&fonts, text, 9.0, fw, false),
                    size: 9.0,
                    bold: false,
                });
            }
            _ => return Err(PrintError::Unprintable(n)),
        }
    }
    let laid = layout(&blocks);
    let pages = 1 + laid.len();
    if pages > MAX_SHEETS {
        return Err(PrintError::TooManySheets(pages));
    }

    let painter = Painter { fonts: &fonts };
    let mut doc = Document::new();
    let mut page_no = 0;
    let footer = |s: &mut Surface<'_>, page_no: usize| {
        let (x, top, _, h) = frame();
        let t = format!(
            "{}  ·  {} {} / {}",
            letter.tracking_number, letter.labels.page_of, page_no, pages
        );
        painter.text(s, x, top + h - 8.0, 7.0, false, &t);
    };

    // Cover page.
    {
        let mut page = doc.start_page_with(a4()?);
        let mut s = page.surface();
        page_no += 1;
        let (x, top, w, _) = frame();
        let mut y = top;
        painter.text(&mut s, x, y, 9.0, true, &letter.labels.sender);
        y += 12.0;
        for l in &letter.sender_lines {
            painter.text(&mut s, x, y, 9.0, false, l);
            y += 12.0;
        }
        // The recipient where a DL window envelope shows it (about 45 mm from the top).
        let mut y = (45.0 * PT_PER_MM).max(y + 12.0);
        let rx = x + 90.0 * PT_PER_MM - 20.0 * PT_PER_MM;
        painter.text(&mut s, rx, y, 9.0, true, &letter.labels.recipient);
        y += 13.0;
        for l in &letter.recipient_lines {
            painter.text(&mut s, rx, y, 11.0, false, l);
            y += 15.0;
        }
        let mut y = (110.0 * PT_PER_MM).max(y + 20.0);
        painter.rule(&mut s, x, y, x + w);
        y += 12.0;
        painter.text(&mut s, x, y, 16.0, true, &letter.labels.cover_title);
        y += 30.0;
        for (label, value) in [
            (&letter.labels.tracking_number, letter.tracking_number),
            (&letter.labels.verification_code, letter.verification_code),
        ] {
            painter.text(&mut s, x, y, 10.0, false, label);
            painter.text(&mut s, x + 60.0 * PT_PER_MM, y - 2.0, 14.0, true, value);
            y += 24.0;
        }
        painter.text(
            &mut s,
            x,
            y,
            10.0,
            false,
            &format!("{}: {}", letter.labels.pages, pages),
        );
        y += 20.0;
        for l in wrap(&fonts, &letter.labels.verify_at, 10.0, w, false) {
            painter.text(&mut s, x, y, 10.0, false, &l);
            y += 14.0;
        }
        painter.text(&mut s, x, y, 10.0, true, letter.verify_url);
        footer(&mut s, page_no);
        s.finish();
        page.finish();
    }

    // Letter and attachments.
    for ops in laid {
        let mut page = doc.start_page_with(a4()?);
        let mut s = page.surface();
        page_no += 1;
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold,
                    text,
                } => painter.text(&mut s, x, y, size, bold, &text),
                Op::Image(img, x, y, size) => {
                    s.push_transform(&Transform::from_translate(x, y));
                    s.draw_image(img, size);
                    s.pop();
                }
                Op::PdfPage(pdf, i, x, y, size) => {
                    s.push_transform(&Transform::from_translate(x, y));
                    s.draw_pdf_page(&pdf, size, i);
                    s.pop();
                }
            }
        }
        footer(&mut s, page_no);
        s.finish();
        page.finish();
    }
    let pdf = doc
        .finish()
        .map_err(|e| PrintError::Pdf(format!("{e:?}")))?;
    Ok(Rendered {
        pdf,
        pages: page_no,
    })
}

/// A one-document printout: a title, paragraphs, labelled values, and a verbatim appendix
/// (e.g. the exact signed JSON of an evidence document).
pub struct Sheet<'a> {
    pub title: &'a str,
    pub paragraphs: Vec<String>,
    pub rows: Vec<(String, String)>,
    pub appendix_title: &'a str,
    pub appendix: &'a str,
    /// Printed at the foot of every page.
    pub footer: &'a str,
}

/// Renders a [`Sheet`] on A4 pages inside the same margins as letters.
pub fn render_sheet(sheet: &Sheet<'_>) -> Result<Vec<u8>, PrintError> {
    let fonts = Fonts::load()?;
    let (_, _, fw, _) = frame();
    let text = |lines: Vec<String>, size: f32, bold: bool| Block::Text { lines, size, bold };
    let mut blocks = vec![
        text(wrap(&fonts, sheet.title, 16.0, fw, true), 16.0, true),
        Block::Gap(8.0),
    ];
    for p in &sheet.paragraphs {
        blocks.push(text(wrap(&fonts, p, 10.0, fw, false), 10.0, false));
        blocks.push(Block::Gap(6.0));
    }
    for (k, v) in &sheet.rows {
        blocks.push(text(wrap(&fonts, k, 9.0, fw, true), 9.0, true));
        blocks.push(text(wrap(&fonts, v, 10.0, fw, false), 10.0, false));
        blocks.push(Block::Gap(4.0));
    }
    if !sheet.appendix.is_empty() {
        blocks.push(Block::Gap(8.0));
        blocks.push(text(
            wrap(&fonts, sheet.appendix_title, 11.0, fw, true),
            11.0,
            true,
        ));
        blocks.push(text(
            wrap(&fonts, sheet.appendix, 7.5, fw, false),
            7.5,
            false,
        ));
    }
    let pages = layout(&blocks);
    let total = pages.len();
    let painter = Painter { fonts: &fonts };
    let mut doc = Document::new();
    for (i, ops) in pages.into_iter().enumerate() {
        let mut page = doc.start_page_with(a4()?);
        let mut s = page.surface();
        for op in ops {
            if let Op::Text {
                x,
                y,
                size,
                bold,
                text,
            } = op
            {
                painter.text(&mut s, x, y, size, bold, &text);
            }
        }
        let (x, top, _, h) = frame();
        let foot = format!("{}  ·  {} / {}", sheet.footer, i + 1, total);
        painter.text(&mut s, x, top + h - 8.0, 7.0, false, &foot);
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
}

/// Joins letters into one print-ready PDF, page for page at their own size.
pub fn concat(letters: &[&[u8]]) -> Result<Vec<u8>, PrintError> {
    let mut doc = Document::new();
    for bytes in letters {
        let pdf = krilla::pdf::Pdf::new(Arc::new(bytes.to_vec()))
            .map_err(|e| PrintError::Pdf(format!("{e:?}")))?;
        let dims: Vec<(f32, f32)> = pdf.pages().iter().map(|p| p.render_dimensions()).collect();
        let pdf = PdfDocument::new(Arc::new(pdf));
        for (i, (w, h)) in dims.into_iter().enumerate() {
            let settings =
                PageSettings::from_wh(w, h).ok_or_else(|| PrintError::Pdf("page size".into()))?;
            let mut page = doc.start_page_with(settings);
            let mut s = page.surface();
            if let Some(size) = Size::from_wh(w, h) {
                s.draw_pdf_page(&pdf, size, i);
            }
            s.finish();
            page.finish();
        }
    }
    doc.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        Labels {
            cover_title: "List hybrydowy".into(),
            tracking_number: "Numer nadania".into(),
            verification_code: "Kod weryfikacyjny".into(),
            verify_at: "Sprawdź autentyczność pod adresem".into(),
            sender: "Nadawca".into(),
            recipient: "Adresat".into(),
            pages: "Liczba stron".into(),
            attachment: "Załącznik".into(),
            page_of: "strona".into(),
        }
    }

    fn letter<'a>(l: &'a Labels, body: &'a str, att: Vec<Appendix<'a>>) -> Letter<'a> {
        Letter {
            labels: l,
            tracking_number: "OK000000001PL",
            verification_code: "ABCD-EFGH",
            verify_url: "http://127.0.0.1/letters/verify",
            sender_lines: vec!["Urząd Miasta Przykładowo".into(), "ul. Długa 1".into()],
            recipient_lines: vec![
                "Żaneta Źdźbło".into(),
                "ul. Łąkowa 5".into(),
                "00-950 Warszawa".into(),
            ],
            date: "2026-11-22",
            subject: "Decyzja w sprawie",
            body,
            attachments: att,
        }
    }

    #[test]
    fn a_letter_with_text_and_pdf_attachment_renders() {
        let l = labels();
        let body = "Zażółć gęślą jaźń. Ћирилица. ".repeat(400);
        let first = render_letter(&letter(&l, &body, vec![])).expect("render");
        assert!(first.pdf.starts_with(b"%PDF-"));
        assert!(first.pages >= 3, "{}", first.pages);
        let second = render_letter(&letter(
            &l,
            "krótko",
            vec![
                Appendix {
                    name: "first.pdf",
                    media_type: "application/pdf",
                    bytes: &first.pdf,
                },
                Appendix {
                    name: "note.txt",
                    media_type: "text/plain",
                    bytes: "zwykły tekst".as_bytes(),
                },
            ],
        ))
        .expect("render");
        assert_eq!(second.pages, 2 + first.pages + 1);
        let batch = concat(&[&first.pdf, &second.pdf]).expect("concat");
        assert!(batch.starts_with(b"%PDF-"));
    }

    #[test]
    fn unprintable_and_oversized_letters_are_refused() {
        let l = labels();
        let r = render_letter(&letter(
            &l,
            "x",
            vec![Appendix {
                name: "a.zip",
                media_type: "application/zip",
                bytes: b"PK\x03\x04",
            }],
        ));
        assert_eq!(r.err(), Some(PrintError::Unprintable(0)));
        let r = render_letter(&letter(
            &l,
            "x",
            vec![Appendix {
                name: "broken.pdf",
                media_type: "application/pdf",
                bytes: b"%PDF-1.7 not really",
            }],
        ));
        assert_eq!(r.err(), Some(PrintError::Unprintable(0)));
        let long = "słowo ".repeat(120_000);
        let r = render_letter(&letter(&l, &long, vec![]));
        assert!(matches!(r, Err(PrintError::TooManySheets(n)) if n > MAX_SHEETS));
    }

    #[test]
    fn huge_images_are_refused_from_their_header_before_decoding() {
        // A PNG header claiming 20,000 × 20,000 pixels (1.6 GB decoded) in 33 bytes.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&20_000u32.to_be_bytes());
        png.extend_from_slice(&20_000u32.to_be_bytes());
        png.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(image_size("image/png", &png), Some((20_000, 20_000)));
        let l = labels();
        let att = |bytes| {
            vec![Appendix {
                name: "big.png",
                media_type: "image/png",
                bytes,
            }]
        };
        let r = render_letter(&letter(&l, "x", att(&png)));
        assert_eq!(r.err(), Some(PrintError::Unprintable(0)));
        // A JPEG's size comes from its frame header (after an APP0 segment).
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0x01, 0x02, 0x03, 0x04,
        ];
        assert_eq!(image_size("image/jpeg", &jpeg), Some((0x0304, 0x0102)));
        assert_eq!(image_size("image/jpeg", &[0xFF, 0xD8, 0xFF]), None);
        assert_eq!(image_size("image/png", b"\x89PNG"), None);
    }

    #[test]
    fn nesting_is_measured_outside_strings_and_streams() {
        assert_eq!(pdf_nesting(b"<< /A [1 [2] << /B 3 >>] >>"), 3);
        assert_eq!(pdf_nesting(b"(a [[[ string \\) still [[[) [x]"), 1);
        assert_eq!(pdf_nesting(b"% [[[[ comment\n[1]"), 1);
        assert_eq!(pdf_nesting(b"<4142> [<<>>]"), 2);
        assert_eq!(
            pdf_nesting(b"<< /Length 6 >>\nstream\n[[[[[[\nendstream [1]"),
            1
        );
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(pdf_nesting(deep.as_bytes()), 100_000);
    }

    proptest::proptest! {
        /// Any bytes at all: the scan ends and never panics.
        #[test]
        fn nesting_scan_takes_any_bytes(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            let _ = pdf_nesting(&b);
        }
    }

    #[test]
    fn a_sheet_renders_on_several_pages() {
        let json = "{\"evidence_id\": \"EV-1\", \"type\": \"content-handover\"}\n".repeat(300);
        let pdf = render_sheet(&Sheet {
            title: "Dowód doręczenia",
            paragraphs: vec!["Odbiorca otworzył wiadomość.".into()],
            rows: vec![("Identyfikator".into(), "EV-1".into())],
            appendix_title: "Treść podpisana",
            appendix: &json,
            footer: "okienko",
        })
        .expect("sheet");
        assert!(pdf.starts_with(b"%PDF-"));
    }

    proptest::proptest! {
        #[test]
        fn wrapped_lines_fit(text in "[a-zA-Ząęł ]{0,400}", width in 20.0f32..400.0) {
            let fonts = Fonts::load().expect("fonts");
            for line in wrap(&fonts, &text, 10.0, width, false) {
                let w = fonts.width(&line, 10.0, false);
                // A line longer than the width is only ever a single character.
                proptest::prop_assert!(w <= width || line.chars().count() == 1, "{line:?} {w} > {width}");
            }
        }
    }
}
