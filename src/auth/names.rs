//! Display names: one rule for every name a player shows others (a guest's
//! chosen name, a Telegram user's name), so a chat's room or leaderboard
//! cannot hold an invisible or reordered name.
//!
//! The rule: Unicode NFC normalisation; characters that draw nothing or
//! reorder the text around them are removed (zero-width spaces and joiners,
//! bidirectional marks, embeddings, overrides and isolates, the byte-order
//! mark, soft hyphens, Hangul and Braille blanks, invisible operators, tag
//! characters); every run of white space becomes one space, and the ends
//! are trimmed; at most [`MAX_NAME_CHARS`] characters remain. A guest name
//! with a control character, or empty or too long after this, is refused.
//! Look-alike letters from other scripts (a Cyrillic `а` for a Latin `a`)
//! are kept: telling them apart needs a confusables table, and a name is
//! shown beside its player's id.
//!
//! ```
//! use parlor::auth::names::{display_name, guest_name};
//! assert_eq!(display_name("An\u{200b}na \u{202e}kcab"), "Anna kcab");
//! assert_eq!(guest_name("  Cafe\u{301}  ").unwrap(), "Caf\u{e9}");
//! assert!(guest_name("\u{200b}\u{2800}").is_err());
//! ```

use unicode_normalization::UnicodeNormalization;

/// Longest display name, in characters (Unicode scalar values).
pub const MAX_NAME_CHARS: usize = 32;

/// Characters removed from names: they draw nothing, or reorder the text
/// around them.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{2800}' | '\u{3164}' | '\u{feff}' | '\u{ffa0}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e007f}')
}

/// `raw` under the rule, without the length cut.
fn normalise(raw: &str) -> String {
    let visible: String = raw.nfc().filter(|&c| !c.is_control() && !is_invisible(c)).collect();
    visible.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A name from elsewhere (Telegram) under the rule, cut to
/// [`MAX_NAME_CHARS`]; may be empty.
pub fn display_name(raw: &str) -> String {
    let name = normalise(raw);
    let cut: String = name.chars().take(MAX_NAME_CHARS).collect();
    cut.trim_end().to_owned()
}

/// A guest's chosen name under the rule; refused if it has a control
/// character, or is empty or longer than [`MAX_NAME_CHARS`] after it.
pub fn guest_name(raw: &str) -> Result<String, String> {
    if raw.chars().any(char::is_control) {
        return Err("a guest name cannot hold control characters".into());
    }
    let name = normalise(raw);
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(format!(
            "a guest name must be 1 to {MAX_NAME_CHARS} visible characters (it has {chars} after normalisation)"
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_reordering_characters_are_removed() {
        for raw in [
            "Ann\u{200b}a",
            "\u{feff}Anna",
            "An\u{2066}na\u{2069}",
            "A\u{00ad}nna",
            "\u{202e}Anna",
            "Anna\u{e0041}",
        ] {
            assert_eq!(display_name(raw), "Anna", "{raw:?}");
        }
    }

    #[test]
    fn names_are_nfc_and_white_space_is_collapsed() {
        assert_eq!(display_name("Jose\u{301}"), "Jos\u{e9}");
        assert_eq!(display_name("  Ann \u{3000}\t Lee "), "Ann Lee");
    }

    #[test]
    fn guest_names_that_show_nothing_or_too_much_are_refused() {
        assert!(guest_name("\u{3164}\u{2800}\u{200b}").is_err());
        assert!(guest_name("a\u{7}b").is_err());
        assert!(guest_name(&"n".repeat(MAX_NAME_CHARS + 1)).is_err());
        // Length counts what is left: 32 visible letters with joiners pass.
        assert_eq!(
            guest_name(&"n\u{200d}".repeat(MAX_NAME_CHARS)).unwrap().chars().count(),
            32
        );
    }

    #[test]
    fn long_names_from_elsewhere_are_cut() {
        assert_eq!(display_name(&"x".repeat(40)).chars().count(), MAX_NAME_CHARS);
    }
}
