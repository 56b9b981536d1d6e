//! Running the `vela` binary as a user would, shared by the integration tests.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs `vela` with `args` (and without `VELA_DATA_DIR`, so tests never touch a user's store).
pub(crate) fn vela(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vela"))
        .args(args)
        .env_remove("VELA_DATA_DIR")
        .output()
        .expect("vela runs")
}

/// Standard output, then standard error.
pub(crate) fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A fresh, empty directory for one test's files: `vela-it-<suite>-<name>-<pid>`.
pub(crate) fn scratch(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vela-it-{suite}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
