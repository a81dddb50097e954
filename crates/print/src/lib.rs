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

mod decision;
mod scan;
mod sheet;
pub use decision::{render_decision, Decision};
pub use scan::{image_size, pdf_nesting, printable, MAX_IMAGE_PIXELS, MAX_PDF_NESTING};
pub use sheet::{render_sheet, Sheet};

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
    /// Under the text, right-aligned in spirit: who signs (the official, the office).
    pub signature_lines: Vec<String>,
    pub attachments: Vec<Appendix<'a>>,
}

/// A rendered letter.
#[derive(Debug)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub pages: usize,
}

struct Fonts {
    regular: Font,
    bold: Font,
    measure: ttf_parser::Face<'static>,
    measure_bold: ttf_parser::Face<'static>,
}

/// The fonts, parsed once per process (they are the same built-in bytes every time; parsing
/// them for each document cost more than the rest of a one-page sheet).
static FONTS: std::sync::OnceLock<Result<Fonts, String>> = std::sync::OnceLock::new();

impl Fonts {
    fn shared() -> Result<&'static Fonts, PrintError> {
        FONTS
            .get_or_init(|| Fonts::load().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| PrintError::Pdf(e.clone()))
    }

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

    /// Paints one laid-out page.
    fn ops(&self, s: &mut Surface<'_>, ops: Vec<Op>) {
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold,
                    text,
                } => self.text(s, x, y, size, bold, &text),
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
    let fonts = Fonts::shared()?;
    let (_, _, fw, _) = frame();
    let text = |lines: Vec<String>, size: f32, bold: bool| Block::Text { lines, size, bold };
    let mut blocks: Vec<Block> = vec![
        text(letter.sender_lines.clone(), 10.0, false),
        Block::Gap(14.0),
        text(vec![letter.date.to_string()], 10.0, false),
        Block::Gap(10.0),
        text(wrap(fonts, letter.subject, 13.0, fw, true), 13.0, true),
        Block::Gap(10.0),
        text(wrap(fonts, letter.body, 11.0, fw, false), 11.0, false),
    ];
    if !letter.signature_lines.is_empty() {
        blocks.push(Block::Gap(24.0));
        blocks.push(text(letter.signature_lines.clone(), 11.0, false));
    }
    append_files(
        fonts,
        &letter.labels.attachment,
        &letter.attachments,
        &mut blocks,
    )?;
    let laid = layout(&blocks);
    let pages = 1 + laid.len();
    if pages > MAX_SHEETS {
        return Err(PrintError::TooManySheets(pages));
    }

    let painter = Painter { fonts };
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
        for l in wrap(fonts, &letter.labels.verify_at, 10.0, w, false) {
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
        painter.ops(&mut s, ops);
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

/// Appends files from outside on pages of their own, each under a heading with its number and
/// name: PDF pages at their size, images scaled into the frame, text wrapped.
fn append_files(
    fonts: &Fonts,
    label: &str,
    files: &[Appendix<'_>],
    blocks: &mut Vec<Block>,
) -> Result<(), PrintError> {
    let (_, _, fw, _) = frame();
    for (n, a) in files.iter().enumerate() {
        blocks.push(Block::NewPage);
        blocks.push(Block::Text {
            lines: wrap(
                fonts,
                &format!("{} {}: {}", label, n + 1, a.name),
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
                    lines: wrap(fonts, text, 9.0, fw, false),
                    size: 9.0,
                    bold: false,
                });
            }
            _ => return Err(PrintError::Unprintable(n)),
        }
    }
    Ok(())
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
mod tests;

/// The text of a PDF, its pages one after another, at most `max_chars` characters. `None` for
/// a file that does not open as a PDF (or is encrypted). Parses a document from outside: call
/// it only in the sandboxed worker.
pub fn pdf_text(pdf: &[u8], max_chars: usize) -> Option<String> {
    let text = pdf_extract::extract_text_from_mem(pdf).ok()?;
    Some(text.chars().take(max_chars).collect())
}
