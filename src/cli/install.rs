//! What an installed margin needs beside its binary: `margin setup --from DIR` copies ONNX Runtime and the
//! sentence encoders into margin's data directory (where a binary from `cargo install` finds them after
//! its source tree is gone), `margin completions SHELL` prints a completion script and `margin man`
//! writes the manual pages, both generated from these clap definitions.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::CommandFactory;

use super::Cli;
use crate::model::runtime::{LIBRARY_FILE, data_home};

#[derive(Debug, clap::Args)]
pub struct SetupArgs {
    /// Where to copy from: a clone's vendor/ folder (after scripts/setup) or an unpacked release archive.
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write margin.1 and one page per command (margin-import.1, ...) into DIR instead of printing margin.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The first of `candidates` that is a file.
fn first_file(candidates: &[PathBuf]) -> Option<PathBuf> {
    candidates.iter().find(|p| p.is_file()).cloned()
}

/// The encoder folders (each with an encoder.toml) under `dir/encoders` or `dir/vendor/encoders`.
fn encoder_dirs(dir: &Path) -> Vec<PathBuf> {
    for root in [dir.join("encoders"), dir.join("vendor/encoders")] {
        let Ok(entries) = std::fs::read_dir(&root) else { continue };
        let mut found: Vec<PathBuf> =
            entries.flatten().map(|e| e.path()).filter(|p| p.join("encoder.toml").is_file()).collect();
        if !found.is_empty() {
            found.sort();
            return found;
        }
    }
    Vec::new()
}

/// Copies `from` to `to` through a temporary file renamed into place, and checks the copy's size.
fn copy_file(from: &Path, to: &Path) -> anyhow::Result<()> {
    let partial = to.with_extension("partial");
    let copied = std::fs::copy(from, &partial)
        .with_context(|| format!("cannot copy {} to {}", from.display(), partial.display()))?;
    let expected = std::fs::metadata(from)?.len();
    if copied != expected {
        let _ = std::fs::remove_file(&partial);
        bail!("copying {} gave {copied} bytes of {expected}", from.display());
    }
    std::fs::rename(&partial, to).with_context(|| format!("cannot move {} into place", to.display()))?;
    Ok(())
}

/// Copies the encoder folder `from` to `to` whole: into a new folder beside it, then swapped in.
fn copy_encoder(from: &Path, to: &Path) -> anyhow::Result<()> {
    let partial = to.with_extension("partial");
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let path = entry?.path();
        if path.is_file() {
            copy_file(&path, &partial.join(path.file_name().unwrap_or_default()))?;
        }
    }
    let _ = std::fs::remove_dir_all(to);
    std::fs::rename(&partial, to).with_context(|| format!("cannot move {} into place", to.display()))?;
    Ok(())
}

pub fn setup(args: SetupArgs) -> anyhow::Result<ExitCode> {
    let from = &args.from;
    if !from.is_dir() {
        bail!(
            "--from {}: no such directory; give a clone's vendor/ folder or an unpacked release archive",
            from.display()
        );
    }
    let home = data_home().context("no home directory to find margin's data directory in")?;
    let runtime = first_file(&[
        from.join("onnxruntime").join(LIBRARY_FILE),
        from.join(LIBRARY_FILE),
        from.join("vendor/onnxruntime").join(LIBRARY_FILE),
    ]);
    let encoders = encoder_dirs(from);
    if runtime.is_none() && encoders.is_empty() {
        bail!(
            "--from {}: found neither {LIBRARY_FILE} (in onnxruntime/ or the folder itself) nor an encoder \
             (encoders/NAME/encoder.toml); run scripts/setup in the clone first, or unpack the release archive",
            from.display()
        );
    }
    if let Some(library) = runtime {
        let dir = home.join("onnxruntime");
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        copy_file(&library, &dir.join(LIBRARY_FILE))?;
        say!("ONNX Runtime: {}", dir.join(LIBRARY_FILE).display());
    }
    for encoder in encoders {
        let name = encoder.file_name().unwrap_or_default();
        let dir = home.join("encoders");
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        copy_encoder(&encoder, &dir.join(name))?;
        say!("sentence encoder: {}", dir.join(name).display());
    }
    say!("margin finds them there from now on; `margin doctor` checks them.");
    Ok(ExitCode::SUCCESS)
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "margin", &mut out);
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn man(args: ManArgs) -> anyhow::Result<ExitCode> {
    let command = Cli::command();
    let Some(dir) = args.out else {
        let mut out = std::io::stdout().lock();
        clap_mangen::Man::new(command).render(&mut out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = 0;
    let mut write_page = |name: String, page: clap::Command| -> anyhow::Result<()> {
        let mut bytes = Vec::new();
        clap_mangen::Man::new(page).render(&mut bytes)?;
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        written += 1;
        Ok(())
    };
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("margin-{}", sub.get_name());
        write_page(name.clone(), sub.clone().display_name(name).bin_name(format!("margin {}", sub.get_name())))?;
    }
    write_page("margin".into(), command)?;
    say!("Wrote {written} manual pages to {}.", dir.display());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command says what it does and every option what it is for, in --help, the man pages and
    /// the completions alike.
    #[test]
    fn every_command_and_option_has_a_description() {
        fn check(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            if command.get_about().is_none() && !path.is_empty() {
                missing.push(format!("command `{path}`"));
            }
            for arg in command.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none_or(|h| h.to_string().trim().is_empty()) {
                    missing.push(format!("`{path} --{}`", arg.get_long().unwrap_or(arg.get_id().as_str())));
                }
            }
            for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
                check(sub, format!("{path} {}", sub.get_name()).trim(), missing);
            }
        }
        let mut missing = Vec::new();
        check(&Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "without a description: {missing:?}");
    }
}
