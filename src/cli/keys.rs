//! `margin keys`: the screen's keymap as a markdown table, after the user's keys.toml and the project's
//! `[keys]` (the built-in keys when there is no project). The README's key table is this output.

use std::process::ExitCode;

use super::Context;
use super::annotate::load_keymap;

pub fn run(context: &Context) -> anyhow::Result<ExitCode> {
    let project = context.open_project().ok();
    let keymap = load_keymap(project.as_ref())?;
    say_part!("{}", keymap.markdown());
    Ok(ExitCode::SUCCESS)
}
