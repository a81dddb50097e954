//! An administrative decision as PDF/A-2u: the document an office signs with its seal, keeps
//! in the case file for its retention period and sends to the party. PDF/A (ISO 19005-2) is
//! what an archive takes in; krilla checks its rules while writing and refuses a document
//! that would break them, so what comes out is PDF/A or nothing.

use super::{a4, frame, layout, wrap, Block, Fonts, Painter, PrintError};
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::metadata::{DateTime, Metadata};
use krilla::{Document, SerializeSettings};

/// A decision's text and what is printed around it, in the office's language.
pub struct Decision<'a> {
    /// The office's name and address, at the top.
    pub office_lines: Vec<String>,
    /// Place and date ("Gdańsk, 7 grudnia 2026").
    pub place_date: &'a str,
    /// "Znak sprawy: OR.6220.1.2026".
    pub case_line: &'a str,
    /// To whom ("Jan Kowalski").
    pub party_lines: Vec<String>,
    pub title: &'a str,
    pub body: &'a str,
    /// Under the text: who decides and how it is signed.
    pub signature_lines: Vec<String>,
    /// "strona" for the page footer ("strona 1 / 2").
    pub page_of: &'a str,
    /// The document's language (BCP 47), in its metadata.
    pub lang: &'a str,
    /// When it was made: year, month, day, hour, minute, second (UTC).
    pub made: (u16, u8, u8, u8, u8, u8),
}

/// Renders a decision as PDF/A-2u.
pub fn render_decision(d: &Decision<'_>) -> Result<Vec<u8>, PrintError> {
    let fonts = Fonts::shared()?;
    let (x, top, fw, h) = frame();
    let text = |lines: Vec<String>, size: f32, bold: bool| Block::Text { lines, size, bold };
    let mut blocks = vec![
        text(d.office_lines.clone(), 10.0, false),
        Block::Gap(8.0),
        text(vec![d.place_date.to_string()], 10.0, false),
        text(vec![d.case_line.to_string()], 10.0, false),
        Block::Gap(16.0),
        text(d.party_lines.clone(), 11.0, false),
        Block::Gap(20.0),
        text(wrap(fonts, d.title, 14.0, fw, true), 14.0, true),
        Block::Gap(12.0),
        text(wrap(fonts, d.body, 11.0, fw, false), 11.0, false),
    ];
    if !d.signature_lines.is_empty() {
        blocks.push(Block::Gap(28.0));
        blocks.push(text(d.signature_lines.clone(), 10.0, false));
    }
    let laid = layout(&blocks);
    let pages = laid.len();

    let config = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_U)
        .finish()
        .map_err(|e| PrintError::Pdf(format!("PDF/A-2u: {e:?}")))?;
    let mut doc = Document::new_with(SerializeSettings {
        configuration: config,
        ..SerializeSettings::default()
    });
    let (y, mo, day, hh, mm, ss) = d.made;
    doc.set_metadata(
        Metadata::new()
            .title(d.title.to_string())
            .language(d.lang.to_string())
            .creator("okienko".to_string())
            .creation_date(
                DateTime::new(y)
                    .month(mo)
                    .day(day)
                    .hour(hh)
                    .minute(mm)
                    .second(ss)
                    .utc_offset_hour(0)
                    .utc_offset_minute(0),
            ),
    );
    let painter = Painter { fonts };
    for (i, ops) in laid.into_iter().enumerate() {
        let mut page = doc.start_page_with(a4()?);
        let mut s = page.surface();
        painter.ops(&mut s, ops);
        let footer = format!("{}  ·  {} {} / {}", d.case_line, d.page_of, i + 1, pages);
        painter.text(&mut s, x, top + h - 8.0, 7.0, false, &footer);
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
}
