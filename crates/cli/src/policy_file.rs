//! Finding, reading and compiling the policy a command works on.
//!
//! Any format rulesim reads is accepted (native YAML, AWS JSON,
//! CloudFormation, Terraform plan, Suricata rules): `rulesim_aws::load_policy`
//! detects it from the content unless `--policy-format` says.

use std::path::{Path, PathBuf};

use clap::Args;
use rulesim_aws::{PolicyFormat, load_policy};
use rulesim_core::{CompiledPolicy, Errors};

/// The policy file used when `--policy` is not given.
pub(crate) const DEFAULT_POLICY: &str = "rulesim.yaml";

/// The flags that say how to read the policy, shared by every command.
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct PolicyOptions {
    /// The policy's format (default: detected from its content).
    #[arg(long, value_parser = parse_format)]
    pub(crate) policy_format: Option<PolicyFormat>,
    /// A rule group file for the group NAME referenced by a firewall policy
    /// (repeatable): `--group browser-allowed-domains=rules.json`.
    #[arg(long = "group", value_name = "NAME=FILE", value_parser = parse_group)]
    pub(crate) groups: Vec<(String, PathBuf)>,
}

fn parse_format(s: &str) -> Result<PolicyFormat, String> {
    s.parse()
}

fn parse_group(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, file)) if !name.is_empty() && !file.is_empty() => {
            Ok((name.to_string(), PathBuf::from(file)))
        }
        _ => Err(format!("`{s}` is not NAME=FILE (e.g. browser-allowed-domains=rules.json)")),
    }
}

/// Reads and compiles the policy at `path` (or `./rulesim.yaml`). Warnings
/// go to stderr. On failure the message is ready for stderr: every error
/// with file:line:col and help.
pub(crate) fn load(path: Option<&Path>, options: &PolicyOptions) -> Result<CompiledPolicy, String> {
    let path: PathBuf = match path {
        Some(p) => p.to_path_buf(),
        None if Path::new(DEFAULT_POLICY).exists() => PathBuf::from(DEFAULT_POLICY),
        None => {
            return Err(format!(
                "error: no policy given and no `{DEFAULT_POLICY}` in the current directory\n  help: pass `--policy FILE`, e.g. `--policy examples/walkthrough/rulesim.yaml`"
            ));
        }
    };
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
    let loaded = load_policy(&path, options.policy_format, &options.groups, &read)
        .map_err(|e| render(&e))?;
    for warning in &loaded.warnings {
        eprintln!("{warning}");
    }
    CompiledPolicy::build(loaded.policy).map_err(|e| render(&e))
}

/// Every error, then how many there were: what stderr shows for a bad policy.
pub(crate) fn render(errors: &Errors) -> String {
    let count = errors.iter().count();
    let mut out = errors.to_string();
    if count > 1 {
        out.push_str(&format!("\n{count} errors"));
    }
    out
}
