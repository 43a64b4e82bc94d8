//! `margin export -o` never writes onto the project's own files (database, its -wal/-shm, margin.toml,
//! guidelines/, models/), however the path is spelled, and never replaces a file that is not an earlier
//! export unless `--force`.

use crate::common::Sandbox;

fn project(sandbox: &Sandbox) -> String {
    let project = sandbox.project("p", "spam,ham");
    let file =
        sandbox.write("items.jsonl", "{\"id\":\"a\",\"text\":\"win money\"}\n{\"id\":\"b\",\"text\":\"lunch?\"}\n");
    sandbox.ok(&["import", &file, "--project", &project]);
    project
}

fn bytes(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn export_refuses_the_projects_own_files_however_they_are_named() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    std::fs::create_dir_all(format!("{project}/models")).unwrap();
    std::fs::write(format!("{project}/models/m.onnx"), b"model bytes").unwrap();
    std::os::unix::fs::symlink(format!("{project}/margin.toml"), sandbox.join("link.toml")).unwrap();
    let before: Vec<(String, Vec<u8>)> = ["margin.db", "margin.toml", "guidelines/guidelines.md", "models/m.onnx"]
        .iter()
        .map(|f| (f.to_string(), bytes(&format!("{project}/{f}"))))
        .collect();
    // Spelled from inside the project, through `..`, absolutely, and through a symlink.
    let targets = [
        "margin.db",
        "./margin.db",
        "margin.db-wal",
        "margin.db-shm",
        "margin.toml",
        "guidelines/guidelines.md",
        "guidelines/new.md",
        "models/m.onnx",
        "../p/margin.db",
    ];
    let project_dir = std::path::Path::new(&project);
    for target in targets {
        for force in [false, true] {
            let mut args = vec!["export", "-o", target];
            if force {
                args.push("--force");
            }
            let out = sandbox.command(&args).current_dir(project_dir).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "export -o {target} (force {force}) succeeded");
            assert!(stderr.contains("project's own"), "export -o {target}: {stderr}");
        }
    }
    let absolute = format!("{project}/margin.db");
    let link = sandbox.join("link.toml").display().to_string();
    for target in [absolute.as_str(), link.as_str()] {
        let err = sandbox.fails(&["export", "-o", target, "--force", "--project", &project]);
        assert!(err.contains("project's own"), "export -o {target}: {err}");
    }
    for (file, contents) in before {
        assert_eq!(bytes(&format!("{project}/{file}")), contents, "{file} changed");
    }
    assert!(!std::path::Path::new(&format!("{project}/guidelines/new.md")).exists());
    // The database still opens and holds its items.
    assert!(sandbox.ok(&["status", "--project", &project]).contains("items 2"));
}

#[test]
fn export_replaces_only_an_earlier_export_unless_forced() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let notes = sandbox.write("notes.txt", "my own notes\n");
    let err = sandbox.fails(&["export", "-o", &notes, "--project", &project]);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(bytes(&notes), b"my own notes\n");

    // A file this project exported before may be replaced, as a script that exports every night does.
    let out = sandbox.join("labels.jsonl").display().to_string();
    sandbox.ok(&["export", "-o", &out, "--project", &project]);
    sandbox.ok(&["decide", "a", "--label", "spam", "--project", &project]);
    sandbox.ok(&["export", "-o", &out, "--project", &project]);
    assert!(String::from_utf8(bytes(&out)).unwrap().contains("\"decided\""));

    // --force replaces anything that is not the project's own.
    sandbox.ok(&["export", "-o", &notes, "--force", "--project", &project]);
    assert!(String::from_utf8(bytes(&notes)).unwrap().contains("win money"));

    // A directory is refused with a message, never replaced.
    std::fs::create_dir(sandbox.join("dir")).unwrap();
    let dir = sandbox.join("dir").display().to_string();
    let err = sandbox.fails(&["export", "-o", &dir, "--force", "--project", &project]);
    assert!(err.contains("directory"), "{err}");
}
