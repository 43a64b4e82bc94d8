//! keys.toml: the user's own key overrides, `[MODE] action = ["key", ...]`, read into the same form as a
//! project's `[keys]`. Only the file's shape is checked here; whether each mode, action and key exists is
//! the keymap's to say when it is built (`tui::keymap`). Imports only `domain`.

use std::path::Path;

use super::locate::line_of_offset;
use super::{ConfigError, KeyOverrides};
use crate::domain::text::visible;

/// The file name of the user's key overrides, in margin's config directory.
pub const KEYS_FILE_NAME: &str = "keys.toml";

/// Parses keys.toml text; `path` only names the file in messages. A problem is one line,
/// `FILE:LINE: key `MODE.action`: what is wrong`.
pub fn parse_keys(text: &str, path: &Path) -> Result<KeyOverrides, ConfigError> {
    // What the file says (a mode or action name) is escaped: the message stays one line, safe to print.
    let invalid = |line: usize, key: String, message: &str| ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        key: visible(&key).into_owned(),
        message: visible(message.trim()).into_owned(),
    };
    let deserializer = toml::de::Deserializer::parse(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of_offset(text, s.start));
        invalid(line, String::new(), e.message())
    })?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { String::new() } else { key };
        let inner = e.into_inner();
        let line = inner.span().map_or(1, |s| line_of_offset(text, s.start));
        invalid(line, key, inner.message())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keys_file_reads_into_overrides() {
        let keys = parse_keys("[item]\naccept = [\"Enter\", \"y\"]\n", Path::new("keys.toml")).expect("parses");
        assert_eq!(keys["item"]["accept"], vec!["Enter".to_string(), "y".to_string()]);
    }

    #[test]
    fn a_bad_keys_file_is_one_line_naming_file_and_line() {
        let message = parse_keys("[item]\n\naccept = \"Enter\"\n", Path::new("keys.toml"))
            .expect_err("a string is not a list")
            .to_string();
        assert!(message.starts_with("keys.toml:3: key `item.accept`: "), "{message}");
        assert!(!message.contains('\n'), "{message}");
        let message = parse_keys("[item\n", Path::new("keys.toml")).expect_err("not TOML").to_string();
        assert!(message.starts_with("keys.toml:1: "), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
}
