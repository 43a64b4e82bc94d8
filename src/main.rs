//! The `margin` executable: installs a panic hook that gives the terminal back, starts file logging, parses
//! the command line and runs it. Errors are printed as one message and exit non-zero.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        margin::cli::restore_terminal();
        default_hook(info);
    }));
    if let Ok(dir) = margin::project::state_dir() {
        margin::logging::init(&dir);
    }
    let cli = margin::cli::Cli::parse();
    match margin::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("margin: {err:#}");
            ExitCode::FAILURE
        }
    }
}
