//! Running the `vela` binary as a user would, shared by the integration tests.

use std::path::{Path, PathBuf};
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

/// A fresh, empty directory for one test's files, `vela-it-<suite>-<name>-<pid>` in the
/// temporary directory, removed when the value is dropped (at the end of the test).
pub(crate) struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A [`Scratch`] directory for `suite`'s test `name`.
pub(crate) fn scratch(suite: &str, name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("vela-it-{suite}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    Scratch(dir)
}
