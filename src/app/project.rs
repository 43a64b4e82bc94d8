//! Where a project lives on disk: a directory holding margin.toml, margin.db, guidelines/ and models/.
//!
//! A command's project is `--project DIR` (or `$MARGIN_PROJECT`) if given, else the current directory if
//! it holds margin.toml, else the default project under the XDG data directory.

use std::path::{Path, PathBuf};

use crate::config::{self, ConfigError, ProjectConfig};

/// The database file inside a project directory.
pub const DB_FILE: &str = "margin.db";
/// Annotation guidelines, markdown, one or more files.
pub const GUIDELINES_DIR: &str = "guidelines";

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{}: not a margin project (there is no margin.toml); create one with `margin init {} --labels a,b`", .0.display(), .0.display())]
    NotAProject(PathBuf),
    #[error(
        "no project: --project was not given, the current directory has no margin.toml, and there is no default project at {}; create one with `margin init DIR --labels a,b` and pass --project DIR",
        .0.display()
    )]
    NoProject(PathBuf),
    #[error("cannot tell where margin keeps its data: no home directory (set $HOME or XDG_DATA_HOME)")]
    NoDataDir,
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// How a project directory was chosen, which decides what to say when it is not there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Given(PathBuf),
    CurrentDir(PathBuf),
    Default(PathBuf),
}

impl Location {
    pub fn dir(&self) -> &Path {
        match self {
            Location::Given(d) | Location::CurrentDir(d) | Location::Default(d) => d,
        }
    }
}

/// A project with its settings loaded.
#[derive(Debug, Clone)]
pub struct Project {
    pub dir: PathBuf,
    pub config: ProjectConfig,
}

impl Project {
    /// Loads the project at `location`.
    pub fn open(location: &Location) -> Result<Project, ProjectError> {
        let dir = location.dir();
        let config_path = dir.join(config::FILE_NAME);
        if !config_path.is_file() {
            return Err(match location {
                Location::Default(d) => ProjectError::NoProject(d.clone()),
                Location::Given(d) | Location::CurrentDir(d) => ProjectError::NotAProject(d.clone()),
            });
        }
        let config = ProjectConfig::load(&config_path)?;
        Ok(Project { dir: dir.to_path_buf(), config })
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join(config::FILE_NAME)
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.join(DB_FILE)
    }

    pub fn guidelines_dir(&self) -> PathBuf {
        self.dir.join(GUIDELINES_DIR)
    }

    /// The guidelines/*.md files, by name (none when the directory is missing).
    pub fn guideline_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.guidelines_dir())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        files.sort();
        files
    }
}

/// Picks the project directory for a command (see the module doc); it need not exist yet.
pub fn locate(flag: Option<&Path>) -> Result<Location, ProjectError> {
    if let Some(dir) = flag {
        return Ok(Location::Given(dir.to_path_buf()));
    }
    if let Ok(cwd) = std::env::current_dir() {
        if cwd.join(config::FILE_NAME).is_file() {
            return Ok(Location::CurrentDir(cwd));
        }
    }
    Ok(Location::Default(default_project_dir()?))
}

fn dirs() -> Result<directories::ProjectDirs, ProjectError> {
    directories::ProjectDirs::from("", "", "margin").ok_or(ProjectError::NoDataDir)
}

/// margin's data directory (`$XDG_DATA_HOME/margin`, usually `~/.local/share/margin`).
pub fn data_dir() -> Result<PathBuf, ProjectError> {
    Ok(dirs()?.data_dir().to_path_buf())
}

/// Where logs go (`$XDG_STATE_HOME/margin`, usually `~/.local/state/margin`).
pub fn state_dir() -> Result<PathBuf, ProjectError> {
    let dirs = dirs()?;
    Ok(dirs.state_dir().unwrap_or(dirs.data_local_dir()).to_path_buf())
}

/// The user's settings (`$XDG_CONFIG_HOME/margin`, usually `~/.config/margin`): keys.toml lives here.
pub fn config_dir() -> Result<PathBuf, ProjectError> {
    Ok(dirs()?.config_dir().to_path_buf())
}

pub fn default_project_dir() -> Result<PathBuf, ProjectError> {
    Ok(data_dir()?.join("default"))
}

pub fn demo_project_dir() -> Result<PathBuf, ProjectError> {
    Ok(data_dir()?.join("demo"))
}
