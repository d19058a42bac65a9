//! Renders a policy without the `rulesim` command (used by `.ci/aws-checks`):
//!
//! ```text
//! cargo run -p rulesim-aws --example render -- TARGET OUT_DIR POLICY [NAME=FILE...]
//! ```
//!
//! TARGET is aws, cloudformation, terraform or suricata.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rulesim_aws::load_policy;
use rulesim_aws::render::{Target, render};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [target, out, policy, groups @ ..] = args.as_slice() else {
        eprintln!("usage: render TARGET OUT_DIR POLICY [NAME=FILE...]");
        return ExitCode::from(2);
    };
    let Some(target) = Target::from_name(target) else {
        eprintln!("error: unknown target `{target}`");
        return ExitCode::from(2);
    };
    let groups: Vec<(String, PathBuf)> = groups
        .iter()
        .filter_map(|g| g.split_once('=').map(|(n, f)| (n.to_string(), PathBuf::from(f))))
        .collect();
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
    let result = load_policy(Path::new(policy), None, &groups, &read)
        .and_then(|loaded| render(&loaded.policy, target));
    let files = match result {
        Ok(files) => files,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(2);
        }
    };
    let out = Path::new(out);
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("error: cannot create {}: {e}", out.display());
        return ExitCode::from(2);
    }
    for f in files {
        if let Err(e) = std::fs::write(out.join(&f.name), f.contents) {
            eprintln!("error: cannot write {}: {e}", f.name);
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
