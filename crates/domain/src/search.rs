//! Full-text search of what officials work on (cases, register entries, case documents) and
//! of e-delivery mailboxes. Text is folded as the catalogue folds it (lower case, Polish and
//! Serbian letters without their marks, Cyrillic in Latin letters), so `zaswiadczenie` finds
//! `zaświadczenie` and `Петровић` finds `Petrović`; a word asked finds the words that start
//! with it.
//!
//! Each item is found in one scope: a department (its cases, the register entries given to
//! it, its cases' documents), an office (register entries given to no department yet) or a
//! mailbox (its messages), so a search only ever reads what its asker may see.

pub use crate::catalogue::{fold, query_words};

/// At most this many distinct words of one item are indexed (a long document's rarest words
/// beyond this are not found; a hostile upload cannot grow the index without end).
pub const MAX_ITEM_WORDS: usize = 4000;

/// A word longer than this is indexed (and asked) by its first characters.
pub const MAX_WORD_CHARS: usize = 40;

/// What an item is: a case, a register entry, a case document, a department library's
/// document or a message.
pub const KIND_CASE: &str = "case";
pub const KIND_ENTRY: &str = "entry";
pub const KIND_DOCUMENT: &str = "document";
pub const KIND_LIBRARY: &str = "library";
pub const KIND_MESSAGE: &str = "message";

/// The page a case opens at.
pub fn case_path(case_id: &str) -> String {
    format!("/cases/{case_id}")
}

/// A case document opens its case, at the document.
pub fn document_path(case_id: &str, document_id: &str) -> String {
    format!("/cases/{case_id}#document-{document_id}")
}

/// A library document opens its own page.
pub fn library_path(document_id: &str) -> String {
    format!("/library/documents/{document_id}")
}

/// A register entry opens its office's register of its year, from the entry on.
pub fn entry_path(office_id: &str, year: i64, number: i64, entry_id: &str) -> String {
    format!(
        "/offices/{office_id}/register?year={year}&before={}#entry-{entry_id}",
        number + 1
    )
}

/// A message opens in its mailbox.
pub fn message_path(message_id: &str) -> String {
    format!("/messages/{message_id}")
}

/// The scope of a department's items.
pub fn department_scope(department_id: &str) -> String {
    format!("department:{department_id}")
}

/// The scope of an office's register entries that no department has yet.
pub fn office_scope(office_id: &str) -> String {
    format!("office:{office_id}")
}

/// The scope of a mailbox's messages.
pub fn mailbox_scope(address: &str) -> String {
    format!("mailbox:{address}")
}

/// A case signature (`OR.6220.1.2026`) as one word of letters and digits (`or622012026`): a
/// signature asked finds its case, not every case of its class and year.
pub fn compact(signature: &str) -> String {
    fold(signature).replace(' ', "")
}

/// The words of what someone asked: a case signature as its one word, anything else as the
/// catalogue asks (`query_words`).
pub fn asked_words(q: &str) -> Vec<String> {
    if crate::cases::Signature::parse(q.trim()).is_some() {
        return vec![compact(q)];
    }
    query_words(q)
}

/// The distinct folded words of texts, sorted, each at most [`MAX_WORD_CHARS`] characters,
/// at most [`MAX_ITEM_WORDS`] of them.
pub fn index_words<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for t in texts {
        for w in fold(t).split(' ').filter(|w| !w.is_empty()) {
            words.push(w.chars().take(MAX_WORD_CHARS).collect());
        }
    }
    words.sort_unstable();
    words.dedup();
    words.truncate(MAX_ITEM_WORDS);
    words
}

/// The words as one line with a space before and after each (` a b c `), so that "has a word
/// starting with `w`" is a `LIKE '% w%'` test on one column.
pub fn words_line(words: &[String]) -> String {
    let mut out = String::with_capacity(words.iter().map(|w| w.len() + 1).sum::<usize>() + 1);
    out.push(' ');
    for w in words {
        out.push_str(w);
        out.push(' ');
    }
    out
}

/// The first text after every text that starts with `w` (`w` with its last character one
/// higher): `[w, next)` is the range of the words starting with `w`.
pub fn next_prefix(w: &str) -> Option<String> {
    let mut chars: Vec<char> = w.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(n) = char::from_u32(last as u32 + 1) {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_are_folded_distinct_and_sorted() {
        let w = index_words(["Zaświadczenie o zameldowaniu", "ZAŚWIADCZENIE, Петровић"]);
        assert_eq!(w, vec!["o", "petrovic", "zameldowaniu", "zaswiadczenie"]);
        assert_eq!(words_line(&w), " o petrovic zameldowaniu zaswiadczenie ");
    }

    #[test]
    fn a_signature_is_asked_as_one_word() {
        assert_eq!(asked_words(" OR.6220.1.2026 "), vec!["or622012026"]);
        assert_eq!(asked_words("Kowalski wycinka"), vec!["kowalski", "wycinka"]);
    }

    #[test]
    fn long_words_and_long_texts_are_bounded() {
        let long = "a".repeat(100);
        assert_eq!(index_words([long.as_str()])[0].len(), MAX_WORD_CHARS);
        let many: String = (0..10_000).map(|i| format!("w{i} ")).collect();
        assert_eq!(index_words([many.as_str()]).len(), MAX_ITEM_WORDS);
    }

    proptest! {
        #[test]
        fn every_word_of_a_text_is_found_by_its_prefixes(s in "\\PC{0,80}") {
            let words = index_words([s.as_str()]);
            let line = words_line(&words);
            for w in fold(&s).split(' ').filter(|w| !w.is_empty()) {
                let w: String = w.chars().take(MAX_WORD_CHARS).collect();
                let first: String = w.chars().take(3).collect();
                let next = next_prefix(&first).unwrap_or_default();
                // The word is in the range its prefix asks for, and the line test finds it.
                prop_assert!(words.iter().any(|x| *x >= first && *x < next));
                let needle = format!(" {first}");
                prop_assert!(line.contains(&needle));
            }
        }
    }
}
