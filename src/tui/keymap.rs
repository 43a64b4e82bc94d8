//! The keymap: which key does what in each mode, as data. The compiled-in assets/keymap.toml is
//! overlaid by the user's keys.toml and the project's `[keys]`; a table names an action's keys in full,
//! replacing the defaults for that action. Label keys (1-9 and each label's own key) come from the
//! project's labels. Building the keymap checks every key parses and no key does two things in one mode.

use std::collections::BTreeMap;
use std::fmt;

use super::action::Action;
use crate::config::KeyOverrides;
use crate::domain::text::{is_unsafe_for_terminal, visible};

/// The compiled-in default keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// A key as the screen sees it, independent of the terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    ShiftLeft,
    ShiftRight,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

impl Key {
    /// Parses a key as keymap files write it: "a", "?", "Enter", "Ctrl-c", "Space", "F1". A character
    /// the terminal cannot show as it is (a control, a bidi override, a zero-width space) is no key: the
    /// help screen and `margin keys` print every key.
    pub fn parse(s: &str) -> Option<Key> {
        let mut chars = s.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return (!is_unsafe_for_terminal(c)).then_some(Key::Char(c));
        }
        if let Some(rest) = s.strip_prefix("Ctrl-").or_else(|| s.strip_prefix("ctrl-")) {
            let mut chars = rest.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_alphanumeric() => Some(Key::Ctrl(c.to_ascii_lowercase())),
                _ => None,
            };
        }
        let named = match s.to_ascii_lowercase().as_str() {
            "enter" | "return" => Key::Enter,
            "esc" | "escape" => Key::Esc,
            "tab" => Key::Tab,
            "backtab" | "shift-tab" => Key::BackTab,
            "backspace" => Key::Backspace,
            "space" => Key::Char(' '),
            "up" => Key::Up,
            "down" => Key::Down,
            "left" => Key::Left,
            "right" => Key::Right,
            "shift-left" => Key::ShiftLeft,
            "shift-right" => Key::ShiftRight,
            "pageup" => Key::PageUp,
            "pagedown" => Key::PageDown,
            "home" => Key::Home,
            "end" => Key::End,
            f if f.starts_with('f') => match f[1..].parse::<u8>() {
                Ok(n @ 1..=12) => Key::F(n),
                _ => return None,
            },
            _ => return None,
        };
        Some(named)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Char(' ') => write!(f, "Space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::Ctrl(c) => write!(f, "Ctrl-{c}"),
            Key::Enter => write!(f, "Enter"),
            Key::Esc => write!(f, "Esc"),
            Key::Tab => write!(f, "Tab"),
            Key::BackTab => write!(f, "Shift-Tab"),
            Key::Backspace => write!(f, "Backspace"),
            Key::Up => write!(f, "Up"),
            Key::Down => write!(f, "Down"),
            Key::Left => write!(f, "Left"),
            Key::Right => write!(f, "Right"),
            Key::ShiftLeft => write!(f, "Shift-Left"),
            Key::ShiftRight => write!(f, "Shift-Right"),
            Key::PageUp => write!(f, "PageUp"),
            Key::PageDown => write!(f, "PageDown"),
            Key::Home => write!(f, "Home"),
            Key::End => write!(f, "End"),
            Key::F(n) => write!(f, "F{n}"),
        }
    }
}

/// The modes keys are bound in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyMode {
    Item,
    Guidelines,
    Help,
    Stats,
    Summary,
    Prompt,
    /// `margin triage`: the expert's queue.
    Triage,
    /// `margin review`: looking back over what was decided.
    Review,
    /// `margin stats`: the statistics dashboard's pages of charts.
    Dashboard,
    /// The span screen (`margin annotate` in a span project).
    Spans,
}

impl KeyMode {
    pub const ALL: [KeyMode; 10] = [
        KeyMode::Item,
        KeyMode::Guidelines,
        KeyMode::Help,
        KeyMode::Stats,
        KeyMode::Summary,
        KeyMode::Prompt,
        KeyMode::Triage,
        KeyMode::Review,
        KeyMode::Dashboard,
        KeyMode::Spans,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeyMode::Item => "item",
            KeyMode::Guidelines => "guidelines",
            KeyMode::Help => "help",
            KeyMode::Stats => "stats",
            KeyMode::Summary => "summary",
            KeyMode::Prompt => "prompt",
            KeyMode::Triage => "triage",
            KeyMode::Review => "review",
            KeyMode::Dashboard => "dashboard",
            KeyMode::Spans => "spans",
        }
    }

    fn parse(s: &str) -> Option<KeyMode> {
        Self::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// Something wrong in a keymap source, located by mode and action (the caller adds file and line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KeymapError {
    /// Which file holds the offending entry.
    pub origin: KeySource,
    /// `["keys", "item", "accept"]`-style path of the offending entry in that file, for finding its line.
    pub path: Vec<String>,
    pub message: String,
}

/// Where a key binding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeySource {
    /// The built-in keymap, or a label's digit.
    BuiltIn,
    /// A label's own key (margin.toml's `[[labels]]`).
    Label(usize),
    /// The override table at this index of those given to [`Keymap::build`].
    Override(usize),
}

/// The keys of every mode, and of the labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: BTreeMap<KeyMode, BTreeMap<Action, Vec<Key>>>,
    /// Each label's keys, by label index: its digit (labels 1-9) and its own key.
    labels: Vec<Vec<Key>>,
}

impl Keymap {
    /// The default keymap with `overrides` applied in order (user, then project). `prefix` is where each
    /// override table sits in its file (`[]` for keys.toml, `["keys"]` for margin.toml), for messages.
    /// `label_keys` are the labels' own keys from margin.toml.
    pub fn build(overrides: &[(&KeyOverrides, &[&str])], label_keys: &[Option<String>]) -> Result<Keymap, KeymapError> {
        let defaults: KeyOverrides = toml::from_str(DEFAULT_KEYMAP).map_err(|e| KeymapError {
            origin: KeySource::BuiltIn,
            path: Vec::new(),
            message: format!("the built-in keymap does not parse: {}", e.message()),
        })?;
        let mut bindings: BTreeMap<KeyMode, BTreeMap<Action, Vec<Key>>> = BTreeMap::new();
        // Where each binding was last set, so a clash is reported in the file that made it.
        let mut sources: BTreeMap<(KeyMode, Action), (KeySource, Vec<String>)> = BTreeMap::new();
        let layers = std::iter::once((&defaults, &[][..], KeySource::BuiltIn))
            .chain(overrides.iter().enumerate().map(|(i, (t, p))| (*t, *p, KeySource::Override(i))));
        for (table, prefix, source) in layers {
            for (mode_name, actions) in table {
                let at =
                    |more: &[&str]| -> Vec<String> { prefix.iter().chain(more).map(|s| (*s).to_string()).collect() };
                let mode = KeyMode::parse(mode_name).ok_or_else(|| KeymapError {
                    origin: source,
                    path: at(&[mode_name]),
                    message: format!(
                        "unknown mode `{}`; the modes are {}",
                        visible(mode_name),
                        KeyMode::ALL.map(KeyMode::name).join(", ")
                    ),
                })?;
                for (action_name, keys) in actions {
                    let action =
                        Action::ALL.into_iter().find(|a| a.name() == action_name).ok_or_else(|| KeymapError {
                            origin: source,
                            path: at(&[mode_name, action_name]),
                            message: format!("unknown action `{}`; `margin keys` lists them", visible(action_name)),
                        })?;
                    let parsed = keys
                        .iter()
                        .map(|k| {
                            Key::parse(k).ok_or_else(|| KeymapError {
                                origin: source,
                                path: at(&[mode_name, action_name]),
                                message: format!(
                                    "{k:?} is not a key; write a character, a name such as Enter or PageDown, \
                                     or Ctrl- and a letter"
                                ),
                            })
                        })
                        .collect::<Result<Vec<Key>, _>>()?;
                    bindings.entry(mode).or_default().insert(action, parsed);
                    sources.insert((mode, action), (source, at(&[mode_name, action_name])));
                }
            }
        }
        let labels: Vec<Vec<Key>> = label_keys
            .iter()
            .enumerate()
            .map(|(i, own)| {
                let mut keys = Vec::new();
                if i < 9 {
                    keys.push(Key::Char(char::from(b'1' + i as u8)));
                }
                if let Some(k) = own.as_deref().and_then(Key::parse) {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
                keys
            })
            .collect();
        let keymap = Keymap { bindings, labels };
        keymap.check(&sources)?;
        Ok(keymap)
    }

    /// No key does two things in one mode (label keys count in the item mode). A clash is reported where
    /// the later of its two bindings was made (an override over the built-in keys, a label's own key).
    fn check(&self, sources: &BTreeMap<(KeyMode, Action), (KeySource, Vec<String>)>) -> Result<(), KeymapError> {
        let built_in = (KeySource::BuiltIn, Vec::new());
        for (mode, actions) in &self.bindings {
            let mut seen: BTreeMap<Key, (String, (KeySource, Vec<String>))> = BTreeMap::new();
            let mut bind = |key: Key, name: String, from: (KeySource, Vec<String>)| match seen.get(&key) {
                Some((before, earlier)) => {
                    let blamed = if from.0 >= earlier.0 { from } else { earlier.clone() };
                    Err(clash(*mode, before, &name, key, blamed))
                }
                None => {
                    seen.insert(key, (name, from));
                    Ok(())
                }
            };
            if *mode == KeyMode::Item {
                for (i, keys) in self.labels.iter().enumerate() {
                    for (j, k) in keys.iter().enumerate() {
                        // A label's digit is built in; a key after it is the label's own, from margin.toml.
                        let from = if j == 0 && i < 9 {
                            built_in.clone()
                        } else {
                            (KeySource::Label(i), vec!["labels".into(), i.to_string(), "key".into()])
                        };
                        bind(*k, format!("label {}", i + 1), from)?;
                    }
                }
            }
            for (action, keys) in actions {
                let from = sources.get(&(*mode, *action)).cloned().unwrap_or_else(|| built_in.clone());
                for k in keys {
                    bind(*k, action.name().to_string(), from.clone())?;
                }
            }
        }
        Ok(())
    }

    /// Checks that no label key does something else in `mode` too (the span screen's, whose labels are
    /// chosen with the same keys): the label's own key is blamed, at `labels.N.key` in margin.toml.
    pub fn check_labels_in(&self, mode: KeyMode) -> Result<(), KeymapError> {
        for (i, keys) in self.labels.iter().enumerate() {
            for key in keys {
                if let Some(action) = self.action(mode, *key) {
                    let at = (KeySource::Label(i), vec!["labels".into(), i.to_string(), "key".into()]);
                    return Err(clash(mode, &format!("label {}", i + 1), action.name(), *key, at));
                }
            }
        }
        Ok(())
    }

    /// What `key` does in `mode`, if anything.
    pub fn action(&self, mode: KeyMode, key: Key) -> Option<Action> {
        self.bindings.get(&mode)?.iter().find(|(_, keys)| keys.contains(&key)).map(|(a, _)| *a)
    }

    /// Which label `key` chooses (item mode), if any.
    pub fn label(&self, key: Key) -> Option<usize> {
        self.labels.iter().position(|keys| keys.contains(&key))
    }

    /// The keys bound to `action` in `mode`.
    pub fn keys(&self, mode: KeyMode, action: Action) -> &[Key] {
        self.bindings.get(&mode).and_then(|a| a.get(&action)).map_or(&[], Vec::as_slice)
    }

    /// The keys of each label.
    pub fn label_keys(&self) -> &[Vec<Key>] {
        &self.labels
    }

    /// Every binding of a mode, in the order actions are declared.
    pub fn bindings(&self, mode: KeyMode) -> Vec<(Action, &[Key])> {
        let Some(actions) = self.bindings.get(&mode) else { return Vec::new() };
        Action::ALL.into_iter().filter_map(|a| actions.get(&a).map(|k| (a, k.as_slice()))).collect()
    }

    /// The keymap as a markdown table (mode, keys, action, what it does): the README's key table and
    /// `margin keys` print this.
    pub fn markdown(&self) -> String {
        let mut out = String::from("| mode | keys | action | what it does |\n|---|---|---|---|\n");
        for mode in KeyMode::ALL {
            if mode == KeyMode::Item {
                out.push_str(
                    "| item | `1`-`9`, a label's own key | label | choose that label (multi-label: toggle it, then accept) |\n",
                );
            }
            if mode == KeyMode::Spans {
                out.push_str("| spans | `1`-`9`, a label's own key | label | label the selection, the span under the cursor, or the token |\n");
            }
            for (action, keys) in self.bindings(mode) {
                let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
                out.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    mode.name(),
                    keys.join(", ").replace('|', "\\|"),
                    action.name(),
                    describe(mode, action)
                ));
            }
        }
        out
    }
}

/// What `action` does in `mode`: its own description, unless the mode gives it a meaning of its own.
pub fn describe(mode: KeyMode, action: Action) -> &'static str {
    match (mode, action) {
        (KeyMode::Spans, Action::Accept) => "keep the item's spans as they stand (the proposed ones, if unchanged)",
        (KeyMode::Spans, Action::Undo) => "take back the last change to the spans; with none left, the last item",
        (KeyMode::Spans, Action::Cancel) => "drop the selection",
        _ => action.description(),
    }
}

fn clash(mode: KeyMode, first: &str, second: &str, key: Key, at: (KeySource, Vec<String>)) -> KeymapError {
    KeymapError {
        origin: at.0,
        path: at.1,
        message: format!(
            "key {key} is bound to both {first} and {second} in {} mode; give one of them another key",
            mode.name()
        ),
    }
}

#[cfg(test)]
mod tests;
