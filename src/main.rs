//! The `margin` executable: installs a panic hook that gives the terminal back, starts file logging, parses
//! the command line and runs it. Errors are printed as one message and exit non-zero.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of our output goes away
    // (`margin export | head`), instead of failing on every later write. A write cut short this way
    // leaves the database as it was: transactions are atomic.
    // SAFETY: setting a signal's disposition to the default at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        margin::cli::restore_terminal();
        default_hook(info);
    }));
    if let Ok(dir) = margin::app::project::state_dir() {
        margin::logging::init(&dir);
    }
    let cli = margin::cli::Cli::parse();
    match margin::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            let message = margin::cli::describe(&err);
            // Messages can quote data: the log gets them masked, the terminal with nothing that steers it.
            match margin::domain::pii::Masker::new(&[]) {
                Ok(masker) => tracing::error!("{}", masker.mask(&message)),
                Err(_) => tracing::error!("the command failed (its message is not logged: it could not be masked)"),
            }
            eprintln!("margin: {}", margin::domain::text::visible(&message));
            ExitCode::FAILURE
        }
    }
}
