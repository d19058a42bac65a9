//! Finding, reading and compiling the policy a command works on.

use std::path::{Path, PathBuf};

use rulesim_core::{CompiledPolicy, Errors, native};

/// The policy file used when `--policy` is not given.
pub(crate) const DEFAULT_POLICY: &str = "rulesim.yaml";

/// Reads and compiles the policy at `path` (or `./rulesim.yaml`). On failure
/// the message is ready for stderr: every error with file:line:col and help.
pub(crate) fn load(path: Option<&Path>) -> Result<CompiledPolicy, String> {
    let path: PathBuf = match path {
        Some(p) => p.to_path_buf(),
        None if Path::new(DEFAULT_POLICY).exists() => PathBuf::from(DEFAULT_POLICY),
        None => {
            return Err(format!(
                "error: no policy given and no `{DEFAULT_POLICY}` in the current directory\n  help: pass `--policy FILE`, e.g. `--policy examples/walkthrough/rulesim.yaml`"
            ));
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "error: cannot read policy `{}`: {e}\n  help: check the path given to --policy",
            path.display()
        )
    })?;
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
    let policy = native::parse(&path, &text, &read).map_err(|e| render(&e))?;
    CompiledPolicy::build(policy).map_err(|e| render(&e))
}

fn render(errors: &Errors) -> String {
    let count = errors.iter().count();
    let mut out = errors.to_string();
    if count > 1 {
        out.push_str(&format!("\n{count} errors"));
    }
    out
}
