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
        signature_lines: vec!["Anna Nowak".into(), "Urząd Miasta Przykładowo".into()],
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
        attachment_label: "",
        attachments: Vec::new(),
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

#[test]
fn a_decision_is_pdf_a_2u_with_its_text_on_every_page() {
    let body =
        "Na podstawie art. 40 ust. 1 ustawy o drogach publicznych orzeka się, co następuje. "
            .repeat(60);
    let d = crate::Decision {
        office_lines: vec!["Urząd Miasta Gdańska".into(), "ul. Nowe Ogrody 8/12".into()],
        place_date: "Gdańsk, 7 grudnia 2026",
        case_line: "Znak sprawy: OR.6220.1.2026",
        party_lines: vec!["Jan Kowalski".into()],
        title: "DECYZJA nr 1",
        body: &body,
        signature_lines: vec!["Anna Nowak".into()],
        page_of: "strona",
        lang: "pl",
        made: (2026, 12, 7, 9, 30, 0),
    };
    let pdf = crate::render_decision(&d).expect("renders");
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("pdfaid:part") || text.contains("<pdfaid:part>2"));
    // Two pages at least: the footer numbers them.
    let doc = krilla::pdf::Pdf::new(std::sync::Arc::new(pdf.clone())).expect("reads back");
    assert!(doc.pages().len() >= 2);
}
