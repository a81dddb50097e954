//! A one-document printout (evidence, receipts, lists) on A4 pages inside the letters' margins.

use super::{
    a4, append_files, frame, layout, wrap, Appendix, Block, Fonts, Painter, PrintError, MAX_SHEETS,
};
use krilla::Document;

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
    /// Files printed after the sheet, each under `attachment_label` and its name. Files from
    /// outside are rendered only in the sandboxed worker.
    pub attachment_label: &'a str,
    pub attachments: Vec<Appendix<'a>>,
}

/// Renders a [`Sheet`] on A4 pages inside the same margins as letters.
pub fn render_sheet(sheet: &Sheet<'_>) -> Result<Vec<u8>, PrintError> {
    let fonts = Fonts::shared()?;
    let (_, _, fw, _) = frame();
    let text = |lines: Vec<String>, size: f32, bold: bool| Block::Text { lines, size, bold };
    let mut blocks = vec![
        text(wrap(fonts, sheet.title, 16.0, fw, true), 16.0, true),
        Block::Gap(8.0),
    ];
    for p in &sheet.paragraphs {
        blocks.push(text(wrap(fonts, p, 10.0, fw, false), 10.0, false));
        blocks.push(Block::Gap(6.0));
    }
    for (k, v) in &sheet.rows {
        blocks.push(text(wrap(fonts, k, 9.0, fw, true), 9.0, true));
        blocks.push(text(wrap(fonts, v, 10.0, fw, false), 10.0, false));
        blocks.push(Block::Gap(4.0));
    }
    if !sheet.appendix.is_empty() {
        blocks.push(Block::Gap(8.0));
        blocks.push(text(
            wrap(fonts, sheet.appendix_title, 11.0, fw, true),
            11.0,
            true,
        ));
        blocks.push(text(
            wrap(fonts, sheet.appendix, 7.5, fw, false),
            7.5,
            false,
        ));
    }
    if !sheet.attachments.is_empty() {
        append_files(
            fonts,
            sheet.attachment_label,
            &sheet.attachments,
            &mut blocks,
        )?;
    }
    let pages = layout(&blocks);
    if pages.len() > MAX_SHEETS {
        return Err(PrintError::TooManySheets(pages.len()));
    }
    let total = pages.len();
    let painter = Painter { fonts };
    let mut doc = Document::new();
    for (i, ops) in pages.into_iter().enumerate() {
        let mut page = doc.start_page_with(a4()?);
        let mut s = page.surface();
        painter.ops(&mut s, ops);
        let (x, top, _, h) = frame();
        let foot = format!("{}  ·  {} / {}", sheet.footer, i + 1, total);
        painter.text(&mut s, x, top + h - 8.0, 7.0, false, &foot);
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
}
