//! `margin doctor`: checks the installation and the project, and says what to fix.
//!
//! Reports margin's version, the ONNX Runtime library (where it was found, its version, and a model run
//! through it), the sentence encoder (where it was found, its identity, a sentence embedded through it), the
//! project's settings, database schema version and `PRAGMA integrity_check`.

use std::process::ExitCode;

use serde::Serialize;

use super::Context;
use super::terminal::print_json;
use crate::app::project::{self, Location, Project};
use crate::domain::text::visible;
use crate::model::Runtime;
use crate::model::encoder::{Encoder, EncoderPlaces};
use crate::model::runtime::SearchPlaces;
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Check {
    name: &'static str,
    ok: bool,
    detail: String,
}

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let mut checks = vec![Check { name: "margin", ok: true, detail: env!("CARGO_PKG_VERSION").to_string() }];
    if let Ok(dir) = project::state_dir() {
        checks.push(Check { name: "log file", ok: true, detail: dir.join("margin.log").display().to_string() });
    }
    let runtime = runtime_checks(context, &mut checks);
    checks.push(encoder_check(context, runtime));
    project_checks(context, runtime, &mut checks);

    let healthy = checks.iter().all(|c| c.ok);
    if args.json {
        print_json(&serde_json::json!({ "ok": healthy, "checks": checks }));
    } else {
        for check in &checks {
            let mark = if check.ok { "ok " } else { "BAD" };
            // Details quote the project's name and paths, which anyone who can edit margin.toml chooses.
            say!("{mark} {:<18} {}", check.name, visible(&check.detail));
        }
    }
    Ok(if healthy { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Checks ONNX Runtime; returns it when it works.
fn runtime_checks(context: &Context, checks: &mut Vec<Check>) -> Option<&'static Runtime> {
    let places = SearchPlaces::from_environment(context.ort_lib.as_deref());
    match Runtime::start(&places) {
        Ok(runtime) => {
            checks.push(Check {
                name: "onnx runtime",
                ok: true,
                detail: format!("{} (found via {})", runtime.library().display(), runtime.source().describe()),
            });
            let version = runtime.version();
            let detail = if version == crate::model::runtime::EXPECTED_VERSION {
                version.to_string()
            } else {
                format!("{version} (margin is tested with {})", crate::model::runtime::EXPECTED_VERSION)
            };
            checks.push(Check { name: "runtime version", ok: true, detail });
            match runtime.self_test() {
                Ok(p) => {
                    checks.push(Check {
                        name: "runtime self-test",
                        ok: true,
                        detail: format!("softmax model ran: [1, 2, 3] -> [{:.4}, {:.4}, {:.4}]", p[0], p[1], p[2]),
                    });
                    Some(runtime)
                }
                Err(e) => {
                    checks.push(Check { name: "runtime self-test", ok: false, detail: e.to_string() });
                    None
                }
            }
        }
        Err(e) => {
            checks.push(Check { name: "onnx runtime", ok: false, detail: e.to_string() });
            None
        }
    }
}

/// The sentence encoder the usual places hold (scripts/setup puts it in vendor/): it loads and embeds a
/// sentence through ONNX Runtime. Without one margin works as before, so a missing one is not a fault.
fn encoder_check(context: &Context, runtime: Option<&'static Runtime>) -> Check {
    let name = "sentence encoder";
    let manifest = match EncoderPlaces::from_environment(context.encoder.as_deref()).locate() {
        Ok(manifest) => manifest,
        Err(e) if context.encoder.is_some() || std::env::var_os("MARGIN_ENCODER").is_some() => {
            return Check { name, ok: false, detail: e.to_string() };
        }
        Err(e) => return Check { name, ok: true, detail: format!("{e}; margin works without one") },
    };
    let Some(runtime) = runtime else {
        return Check { name, ok: true, detail: format!("{} (not loaded: no ONNX Runtime)", manifest.display()) };
    };
    let embedded = Encoder::load(runtime, &manifest, 1).and_then(|mut encoder| {
        let vector = encoder.embed(&["margin checks its sentence encoder."])?;
        Ok((encoder.identity().to_string(), vector[0].len()))
    });
    match embedded {
        Ok((identity, dimensions)) => Check {
            name,
            ok: true,
            detail: format!("{identity}, {dimensions} dimensions, embeds ({})", manifest.display()),
        },
        Err(e) => Check { name, ok: false, detail: e.to_string() },
    }
}

/// The current model: its file is there, is the file that was registered (SHA-256), and loads through
/// ONNX Runtime with its committee, checked against the project's labels.
fn model_check(
    project: &Project,
    store: &Store,
    runtime: Option<&'static Runtime>,
    flag: Option<&std::path::Path>,
) -> Option<Check> {
    let name = "current model";
    let model = match store.current_model() {
        Ok(Some(model)) => model,
        Ok(None) => return None,
        Err(e) => return Some(Check { name, ok: false, detail: e.to_string() }),
    };
    let path = project.dir.join(&model.path);
    let bad = |detail: String| Some(Check { name, ok: false, detail: format!("version {}: {detail}", model.id) });
    match crate::model::files::sha256_of(&path) {
        Ok(sum) if sum == model.sha256 => {}
        Ok(_) => return bad(format!("{}: the file changed since it was registered (SHA-256 differs)", path.display())),
        Err(e) => return bad(e.to_string()),
    }
    let Some(runtime) = runtime else {
        return Some(Check { name, ok: true, detail: format!("version {} (not loaded: no ONNX Runtime)", model.id) });
    };
    let encoder = crate::app::embed::load_project_encoder(project, flag, runtime, 1).ok().flatten();
    match crate::app::score::load_engines(&project.dir, &project.config, store, runtime, encoder.as_ref(), &model) {
        Ok((_, members)) => Some(Check {
            name,
            ok: true,
            detail: format!(
                "version {} loads ({}{})",
                model.id,
                visible(&model.path),
                if members.is_empty() { String::new() } else { format!(", {} committee members", members.len()) }
            ),
        }),
        Err(e) => bad(crate::cli::describe(&anyhow::Error::from(e))),
    }
}

fn project_checks(context: &Context, runtime: Option<&'static Runtime>, checks: &mut Vec<Check>) {
    let location = match project::locate(context.project_flag.as_deref()) {
        Ok(location) => location,
        Err(e) => {
            checks.push(Check { name: "project", ok: false, detail: e.to_string() });
            return;
        }
    };
    // Without --project and without a default project there is nothing to check, which is not a fault.
    if let Location::Default(dir) = &location {
        if !dir.join(crate::config::FILE_NAME).is_file() {
            checks.push(Check {
                name: "project",
                ok: true,
                detail: format!("none here and no default project at {}", dir.display()),
            });
            return;
        }
    }
    let project = match Project::open(&location) {
        Ok(p) => p,
        Err(e) => {
            checks.push(Check { name: "project", ok: false, detail: e.to_string() });
            return;
        }
    };
    checks.push(Check {
        name: "project",
        ok: true,
        detail: format!("{} ({})", project.config.name, project.dir.display()),
    });
    let db_path = project.db_path();
    if !db_path.is_file() {
        checks.push(Check {
            name: "database",
            ok: false,
            detail: format!("{}: missing; any command that needs it will create it", db_path.display()),
        });
        return;
    }
    let store = match Store::open_read_only(&db_path) {
        Ok(s) => s,
        Err(e) => {
            checks.push(Check { name: "database", ok: false, detail: e.to_string() });
            return;
        }
    };
    checks.push(Check { name: "database", ok: true, detail: db_path.display().to_string() });
    checks.push(match store.schema_version() {
        Ok(v) => {
            let latest = Store::latest_schema_version();
            let detail = match v.cmp(&latest) {
                std::cmp::Ordering::Equal => format!("{v} (up to date)"),
                std::cmp::Ordering::Less => format!("{v}; the next command brings it to {latest}"),
                std::cmp::Ordering::Greater => {
                    format!("{v}, made by a newer margin (this one knows {latest}); upgrade margin")
                }
            };
            Check { name: "schema version", ok: v <= latest, detail }
        }
        Err(e) => Check { name: "schema version", ok: false, detail: e.to_string() },
    });
    checks.push(match store.integrity_check() {
        Ok(lines) => Check { name: "integrity check", ok: lines == ["ok"], detail: lines.join("; ") },
        Err(e) => Check { name: "integrity check", ok: false, detail: e.to_string() },
    });
    checks.extend(model_check(&project, &store, runtime, context.encoder.as_deref()));
}
