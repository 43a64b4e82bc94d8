use super::*;

fn default_keymap() -> Keymap {
    Keymap::build(&[], &[Some("1".into()), Some("2".into()), Some("3".into())]).expect("the default keymap builds")
}

fn overrides(toml_text: &str) -> KeyOverrides {
    toml::from_str(toml_text).unwrap()
}

#[test]
fn every_action_is_bound_somewhere_and_the_issue_keys_do_what_it_says() {
    let keymap = default_keymap();
    for action in Action::ALL {
        assert!(
            KeyMode::ALL.iter().any(|m| !keymap.keys(*m, action).is_empty()),
            "{} has no key in any mode",
            action.name()
        );
    }
    let item = |k: &str| keymap.action(KeyMode::Item, Key::parse(k).unwrap());
    assert_eq!(item("Enter"), Some(Action::Accept));
    assert_eq!(item("a"), Some(Action::Accept));
    assert_eq!(item("x"), Some(Action::Reject));
    assert_eq!(item("s"), Some(Action::Skip));
    assert_eq!(item("Space"), Some(Action::Skip));
    assert_eq!(item("e"), Some(Action::Escalate));
    assert_eq!(item("n"), Some(Action::Note));
    assert_eq!(item("u"), Some(Action::Undo));
    assert_eq!(item("Backspace"), Some(Action::Undo));
    assert_eq!(item("g"), Some(Action::Guidelines));
    assert_eq!(item("?"), Some(Action::Help));
    assert_eq!(item("Tab"), Some(Action::Stats));
    assert_eq!(item("q"), Some(Action::Quit));
    assert_eq!(keymap.action(KeyMode::Guidelines, Key::Char('/')), Some(Action::Search));
    assert_eq!(keymap.label(Key::Char('2')), Some(1));
    assert_eq!(keymap.label(Key::Char('9')), None, "only three labels");
}

#[test]
fn no_key_does_two_things_in_one_mode_with_nine_labels() {
    let labels: Vec<Option<String>> = (1..=9).map(|i| Some(i.to_string())).collect();
    let keymap = Keymap::build(&[], &labels).unwrap();
    for mode in KeyMode::ALL {
        let mut seen = std::collections::HashSet::new();
        for (_, keys) in keymap.bindings(mode) {
            for k in keys {
                assert!(seen.insert(*k), "{k} twice in {}", mode.name());
            }
        }
    }
}

#[test]
fn an_override_replaces_an_actions_keys_and_later_sources_win() {
    let user = overrides("[item]\naccept = [\"y\"]\n");
    let project = overrides("[item]\naccept = [\"Enter\", \"z\"]\nskip = [\"Ctrl-s\"]\n");
    let keymap = Keymap::build(&[(&user, &[]), (&project, &["keys"])], &[None, None]).unwrap();
    assert_eq!(keymap.keys(KeyMode::Item, Action::Accept), &[Key::Enter, Key::Char('z')]);
    assert_eq!(keymap.action(KeyMode::Item, Key::Char('a')), None, "the default key is gone");
    assert_eq!(keymap.action(KeyMode::Item, Key::Char('y')), None, "the user's key was replaced by the project's");
    assert_eq!(keymap.action(KeyMode::Item, Key::Ctrl('s')), Some(Action::Skip));
    assert_eq!(keymap.action(KeyMode::Item, Key::Char('x')), Some(Action::Reject), "others keep their defaults");
}

#[test]
fn mistakes_are_named_with_where_they_are() {
    let cases = [
        ("[item]\naccpet = [\"y\"]\n", "unknown action `accpet`", vec!["keys", "item", "accpet"]),
        ("[itme]\naccept = [\"y\"]\n", "unknown mode `itme`", vec!["keys", "itme"]),
        ("[item]\naccept = [\"Ctrl-Enter\"]\n", "is not a key", vec!["keys", "item", "accept"]),
        // A clash is named where its later binding was made.
        ("[item]\nskip = [\"x\"]\n", "bound to both", vec!["keys", "item", "skip"]),
        ("[item]\nskip = [\"2\"]\n", "label 2", vec!["keys", "item", "skip"]),
    ];
    for (text, message, path) in cases {
        let table = overrides(text);
        let err = Keymap::build(&[(&table, &["keys"])], &[None, None]).unwrap_err();
        assert!(err.message.contains(message), "{text}: {}", err.message);
        assert_eq!(err.path, path, "{text}");
    }
    let err = Keymap::build(&[], &[None, Some("a".into())]).unwrap_err();
    assert!(err.message.contains("label 2") && err.message.contains("accept"), "{}", err.message);
}

#[test]
fn keys_read_back_as_they_are_written() {
    for k in ["a", "?", "Enter", "Esc", "Tab", "Backspace", "Space", "Up", "PageDown", "Ctrl-c", "F5", "Shift-Tab"] {
        let key = Key::parse(k).unwrap_or_else(|| panic!("{k} parses"));
        assert_eq!(Key::parse(&key.to_string()), Some(key), "{k}");
    }
    for bad in ["", "Ctrl-", "F13", "enterr", "\u{7}"] {
        assert_eq!(Key::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn the_markdown_table_lists_every_binding() {
    let keymap = default_keymap();
    let table = keymap.markdown();
    for mode in KeyMode::ALL {
        for (action, _) in keymap.bindings(mode) {
            assert!(table.contains(&format!("| {} |", action.name())), "{}", action.name());
        }
    }
    assert!(table.contains("| item | `Enter`, `a` | accept |"), "{table}");
}

#[test]
fn a_character_the_terminal_cannot_show_is_no_key() {
    // Caught by the fuzz harness (fuzz/corpus/keys_toml/found-bidi-override-as-key): a bidi override bound
    // as a key reached the terminal in the help table and `margin keys`.
    for hostile in ["\u{202e}", "\u{200b}", "\u{1b}", "\u{9b}"] {
        assert_eq!(Key::parse(hostile), None, "{hostile:?}");
    }
    assert_eq!(Key::parse("é"), Some(Key::Char('é')));
}
