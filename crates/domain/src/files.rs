//! What an uploaded file really is, judged by its first bytes and its name together: the
//! content decides the type, and the name must end in an extension of that very type (a
//! `.bat`, `.hta`, `.html`, `.jar`, `.docm` or `.svg` is refused whatever it contains, and so
//! is a PDF named `.exe`). Only the types of the allow-list are recognised.

/// The extensions a file of each recognised type may carry.
const EXTENSIONS: [(&str, &[&str]); 12] = [
    ("application/pdf", &["pdf"]),
    ("image/png", &["png"]),
    ("image/jpeg", &["jpg", "jpeg"]),
    ("image/tiff", &["tif", "tiff"]),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &["docx"],
    ),
    ("application/vnd.oasis.opendocument.text", &["odt"]),
    ("application/zip", &["zip"]),
    ("application/rtf", &["rtf"]),
    ("application/pkcs7-signature", &["p7s", "p7m", "p7"]),
    ("application/xml", &["xml", "xades"]),
    ("text/plain", &["txt"]),
    ("application/json", &["json"]),
];

/// The default allow-list of e-delivery attachments: pdf, xml, xades/p7s, docx, odt, txt, rtf,
/// jpg, png, tiff, zip, json (a structured document, e.g. an e-service submission). None when the content is none of these or the name's extension is not
/// one of its type's.
pub fn sniff(name: &str, bytes: &[u8]) -> Option<&'static str> {
    let t = sniff_content(name, bytes)?;
    let lower = name.to_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
    EXTENSIONS
        .iter()
        .any(|(k, exts)| *k == t && exts.contains(&ext))
        .then_some(t)
}

fn sniff_content(name: &str, bytes: &[u8]) -> Option<&'static str> {
    let lower = name.to_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let starts = |p: &[u8]| bytes.starts_with(p);
    if starts(b"%PDF-") {
        return Some("application/pdf");
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if starts(b"\xff\xd8\xff") {
        return Some("image/jpeg");
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Some("image/tiff");
    }
    if starts(b"PK\x03\x04") {
        return Some(match ext {
            "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "odt" => "application/vnd.oasis.opendocument.text",
            _ => "application/zip",
        });
    }
    if starts(b"{\\rtf") {
        return Some("application/rtf");
    }
    // DER: a SEQUENCE with a long-form length, as every CMS signature starts.
    if bytes.len() > 4
        && bytes[0] == 0x30
        && (0x81..=0x84).contains(&bytes[1])
        && matches!(ext, "p7s" | "p7m" | "p7")
    {
        return Some("application/pkcs7-signature");
    }
    let text = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.contains('\0'))?;
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with("<?xml") || (t.starts_with('<') && matches!(ext, "xml" | "xades")) {
        return Some("application/xml");
    }
    if ext == "txt" {
        return Some("text/plain");
    }
    if ext == "json" && (t.starts_with('{') || t.starts_with('[')) {
        return Some("application/json");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn recognises_the_allow_list_by_content() {
        assert_eq!(sniff("a.pdf", b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(
            sniff("renamed.txt", b"%PDF-1.7"),
            None,
            "the content decides the type, and the name must agree"
        );
        assert_eq!(
            sniff("x.docx", b"PK\x03\x04...."),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert_eq!(
            sniff("x.xml", b"<?xml version=\"1.0\"?><a/>"),
            Some("application/xml")
        );
        assert_eq!(sniff("note.txt", "zażółć".as_bytes()), Some("text/plain"));
        assert_eq!(sniff("run.exe", b"MZ\x90\0\x03"), None);
        assert_eq!(
            sniff("evil.txt", b"MZ\x90\0\x03"),
            None,
            "binary is not text"
        );
        assert_eq!(sniff("page.html", b"<html>"), None);
    }

    #[test]
    fn dangerous_names_are_refused_whatever_the_content() {
        for (name, bytes) in [
            ("run.bat", b"@echo off\r\n".as_slice()),
            ("app.hta", b"<?xml version=\"1.0\"?><html/>"),
            ("page.html", b"<?xml version=\"1.0\"?><html/>"),
            ("tool.jar", b"PK\x03\x04...."),
            ("macro.docm", b"PK\x03\x04...."),
            ("image.svg", b"<?xml version=\"1.0\"?><svg/>"),
            ("invoice.pdf.exe", b"%PDF-1.7"),
            ("README", b"plain words"),
        ] {
            assert_eq!(sniff(name, bytes), None, "{name}");
        }
        assert_eq!(sniff("Decyzja.PDF", b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff("skan.jpeg", b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
        assert_eq!(
            sniff("podpis.xades", b"<ds:Signature/>"),
            Some("application/xml")
        );
    }
}
