//! The pages every public service owes its users, linked from every page's footer: the
//! accessibility statement, the privacy notice and how to get in touch. Each installation
//! writes its own (plain text files, one per page and language, in the pages folder);
//! where it has not, okienko's own texts say what holds for every installation.

use super::common::render;
use crate::ctx::{Ctx, CtxRef};
use crate::State;
use anyhow::Context;
use askama::Template;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use okienko_i18n::Lang;
use std::collections::HashMap;
use std::path::Path;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/accessibility", get(accessibility))
        .route("/privacy", get(privacy))
        .route("/contact", get(contact))
}

/// The pages, by the name in their address.
pub const PAGES: [&str; 3] = ["accessibility", "privacy", "contact"];

/// The largest page file read (a statement is a few pages of text).
const MAX_PAGE_BYTES: u64 = 64 * 1024;

/// A piece of a page: a heading or a paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading(String),
    Paragraph(String),
}

/// The installation's own texts, and what the default texts need to know about it.
#[derive(Debug, Clone, Default)]
pub struct AboutPages {
    /// The installation's name.
    pub name: String,
    /// Where people write to the operator, if configured.
    pub contact_email: Option<String>,
    texts: HashMap<(&'static str, Lang), Vec<Block>>,
}

impl AboutPages {
    /// Reads `<page>.<lang>.txt` (e.g. `privacy.pl.txt`, `contact.sr-Cyrl.txt`) from `dir`
    /// for each page and language; a missing folder or file leaves the default text. A file
    /// that is too large or not UTF-8 stops the start with a message saying which.
    pub fn load(dir: &Path, name: &str, contact_email: Option<String>) -> anyhow::Result<Self> {
        let mut texts = HashMap::new();
        for page in PAGES {
            for lang in Lang::ALL {
                let path = dir.join(format!("{page}.{}.txt", lang.code()));
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                anyhow::ensure!(
                    meta.len() <= MAX_PAGE_BYTES,
                    "{}: larger than {MAX_PAGE_BYTES} bytes",
                    path.display()
                );
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("{}: not readable UTF-8 text", path.display()))?;
                texts.insert((page, lang), blocks(&text));
            }
        }
        Ok(AboutPages {
            name: name.to_string(),
            contact_email,
            texts,
        })
    }
}

/// Text to blocks: paragraphs are separated by blank lines; a paragraph starting with `# `
/// is a heading.
pub fn blocks(text: &str) -> Vec<Block> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .map(|p| match p.strip_prefix("# ") {
            Some(h) => Block::Heading(h.to_string()),
            None => Block::Paragraph(p),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "about/page.html")]
struct AboutPage<'a> {
    ctx: &'a Ctx,
    title: String,
    blocks: Vec<Block>,
    /// The operator's address, on the contact page.
    email: Option<String>,
}

/// The installation's text of `page` in the person's language, else the default one: the
/// keys `about-<page>-1`, `-2`, … (a key whose text starts with `# ` is a heading).
fn page(state: &State, ctx: &Ctx, page: &'static str) -> Response {
    let about = &state.about;
    let blocks = about
        .texts
        .get(&(page, ctx.lang))
        .cloned()
        .unwrap_or_else(|| {
            let args = [("name", about.name.as_str())];
            // A missing key comes back as itself: the texts end there.
            (1..)
                .map(|i| format!("about-{page}-{i}"))
                .map(|k| (ctx.ta(&k, &args), k))
                .take_while(|(text, k)| text != k)
                .flat_map(|(text, _)| blocks(&text))
                .collect()
        });
    render(&AboutPage {
        ctx,
        title: ctx.t(&format!("about-{page}-title")),
        blocks,
        email: about.contact_email.clone().filter(|_| page == "contact"),
    })
}

async fn accessibility(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
) -> Response {
    page(&state, &ctx, "accessibility")
}

async fn privacy(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
) -> Response {
    page(&state, &ctx, "privacy")
}

async fn contact(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
) -> Response {
    page(&state, &ctx, "contact")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_headings() {
        assert_eq!(
            blocks("# Who we are\r\n\r\nThe office\nof the city.\n\n\n\nWrite to us."),
            [
                Block::Heading("Who we are".into()),
                Block::Paragraph("The office of the city.".into()),
                Block::Paragraph("Write to us.".into()),
            ]
        );
        assert!(blocks(" \n\n \n").is_empty());
    }

    #[test]
    fn an_installation_text_replaces_the_default_in_its_language_only() {
        let dir = std::env::temp_dir().join(format!("okienko-about-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("contact.en.txt"), "Call 123.").expect("write");
        std::fs::write(dir.join("privacy.pl.txt"), vec![b'x'; 70 * 1024]).expect("write");
        assert!(AboutPages::load(&dir, "x", None).is_err(), "too large");
        std::fs::remove_file(dir.join("privacy.pl.txt")).expect("rm");
        let p = AboutPages::load(&dir, "x", None).expect("load");
        assert_eq!(
            p.texts.get(&("contact", Lang::En)),
            Some(&vec![Block::Paragraph("Call 123.".into())])
        );
        assert!(!p.texts.contains_key(&("contact", Lang::Pl)));
        std::fs::remove_dir_all(&dir).expect("rm");
    }
}
