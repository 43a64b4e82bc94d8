//! `margin labels`: changing a project's labels without orphaning its data. `rename OLD NEW` rewrites every
//! item's reference labels, every decision and every model's label list in one audited transaction, then
//! margin.toml; `add NEW` and `remove UNUSED` change the list (a label data uses cannot be removed).
//! Admins only, like any change to the labels.

use std::process::ExitCode;

use anyhow::{Context as _, bail};

use super::{Context, open_store};
use crate::app::files::write_atomically;
use crate::app::project::Project;
use crate::config::{self, LABEL_PALETTE, ProjectConfig, edit};
use crate::domain::access::Role;
use crate::domain::audit::event::SettingsRecorded;
use crate::domain::text::visible;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: LabelsCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum LabelsCommand {
    /// Rename a label everywhere: margin.toml, reference labels, decisions and model versions.
    Rename {
        /// The label's name now.
        old: String,
        /// Its new name.
        new: String,
    },
    /// Add a label (the current model knows only the old ones: retrain afterwards).
    Add {
        /// The new label's name.
        name: String,
        /// Its key on the screen (default: the next free digit).
        #[arg(long)]
        key: Option<String>,
        /// Its colour (default: the next in margin's palette).
        #[arg(long)]
        color: Option<String>,
    },
    /// Remove a label no item uses.
    Remove {
        /// The label to remove.
        name: String,
    },
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let project = context.open_project_as(Role::Admin, "labels")?.project;
    let text = std::fs::read_to_string(project.config_path())
        .with_context(|| format!("{}: cannot read", project.config_path().display()))?;
    let mut store = open_store(&project)?;
    let names = project.config.label_names();
    match args.command {
        LabelsCommand::Rename { old, new } => {
            known(&project, &names, &old)?;
            fresh(&names, &new)?;
            let (text, config) = edited(&project, edit::rename_label(&text, &old, &new))?;
            let settings = SettingsRecorded { changed: vec!["labels".to_string()], settings: config.governed() };
            let done = store.rename_label(&old, &new, &context.user, settings)?;
            write_atomically(&project.config_path(), text.as_bytes()).with_context(|| {
                format!("the database now calls the label `{}`; rename it in margin.toml by hand", visible(&new))
            })?;
            say!(
                "Renamed `{}` to `{}`: {} items' reference labels, {} decisions and {} model versions, and margin.toml.",
                visible(&old),
                visible(&new),
                done.items,
                done.decisions,
                done.models
            );
        }
        LabelsCommand::Add { name, key, color } => {
            fresh(&names, &name)?;
            let key = key.or_else(|| next_free_key(&project.config));
            let color = color.unwrap_or_else(|| LABEL_PALETTE[names.len() % LABEL_PALETTE.len()].to_string());
            let (text, config) = edited(&project, edit::add_label(&text, &name, key.as_deref(), &color))?;
            commit(context, &mut store, &project, &config, &text)?;
            say!(
                "Added `{}`{}. The current model knows only the labels it was trained on: retrain to predict it.",
                visible(&name),
                key.map_or(String::new(), |k| format!(" (key {})", visible(&k)))
            );
        }
        LabelsCommand::Remove { name } => {
            known(&project, &names, &name)?;
            let used = store.label_use(&name)?;
            if used > 0 {
                bail!(
                    "label `{}` is used by {used} items (in their reference labels or people's decisions); margin \
                     removes only an unused label. To give them another name, use `margin labels rename`",
                    visible(&name)
                );
            }
            if project.config.thresholds.high_stakes.contains(&name) {
                bail!("label `{}` is listed in thresholds.high_stakes; take it out there first", visible(&name));
            }
            let (text, config) = edited(&project, edit::remove_label(&text, &name))?;
            commit(context, &mut store, &project, &config, &text)?;
            say!("Removed `{}`.", visible(&name));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn known(project: &Project, names: &[String], label: &str) -> anyhow::Result<()> {
    if !names.iter().any(|n| n == label) {
        bail!(
            "there is no label `{}` in {} (the labels are {})",
            visible(label),
            project.config_path().display(),
            visible(&names.join(", "))
        );
    }
    Ok(())
}

fn fresh(names: &[String], label: &str) -> anyhow::Result<()> {
    config::check_label_name(label).map_err(|m| anyhow::anyhow!("{}", visible(&m)))?;
    if names.iter().any(|n| n == label) {
        bail!("there is already a label `{}`", visible(label));
    }
    Ok(())
}

/// The edited settings text, checked the way margin reads margin.toml.
fn edited(project: &Project, text: Result<String, edit::EditError>) -> anyhow::Result<(String, ProjectConfig)> {
    let path = project.config_path();
    let text = text.with_context(|| format!("{}: cannot change the labels", path.display()))?;
    let config = ProjectConfig::parse(&text, &path)?;
    Ok((text, config))
}

/// Records the new settings (an admin's change of labels) and writes margin.toml.
fn commit(
    context: &Context,
    store: &mut crate::store::Store,
    project: &Project,
    config: &ProjectConfig,
    text: &str,
) -> anyhow::Result<()> {
    let changed = Project { dir: project.dir.clone(), config: config.clone() };
    super::access::record_settings(store, &context.user, &changed, &["labels"])?;
    write_atomically(&project.config_path(), text.as_bytes())?;
    Ok(())
}

/// The first digit key no label uses, if any.
fn next_free_key(config: &ProjectConfig) -> Option<String> {
    (1..=9).map(|d| d.to_string()).find(|k| !config.labels.iter().any(|l| l.key.as_deref() == Some(k)))
}
