//! `rulesim render`: the files that deploy a policy.
//!
//! Reads the policy in any format rulesim understands and writes AWS CLI
//! JSON (`create-rule-group` / `create-firewall-policy` input), one
//! CloudFormation template, Terraform HCL, or the Suricata rules each group
//! evaluates to. The work is `rulesim_aws::render`; this module only
//! handles arguments, files and messages.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use rulesim_aws::render::{self, Target};
use rulesim_aws::{PolicyFormat, load_policy};

/// Arguments of `rulesim render`.
#[derive(Args)]
pub(crate) struct RenderArgs {
    /// What to write.
    #[arg(long, value_enum, default_value = "aws")]
    target: RenderTarget,
    /// Directory to write the files to (created if missing); without it the
    /// files are printed to stdout, each after a `==> NAME <==` line.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Policy file (default: ./rulesim.yaml).
    #[arg(long, short)]
    policy: Option<PathBuf>,
    /// The policy's format (default: detected from its content).
    #[arg(long, value_parser = parse_format)]
    policy_format: Option<PolicyFormat>,
    /// A rule group file for the group NAME referenced by a firewall policy
    /// (repeatable): `--group browser-allowed-domains=rules.json`.
    #[arg(long = "group", value_name = "NAME=FILE", value_parser = parse_group)]
    groups: Vec<(String, PathBuf)>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RenderTarget {
    /// create-rule-group and create-firewall-policy CLI input JSON.
    Aws,
    /// One CloudFormation template.
    Cloudformation,
    /// Terraform HCL.
    Terraform,
    /// The Suricata rules of each group.
    Suricata,
}

/// Parses `--policy-format`.
pub(crate) fn parse_format(s: &str) -> Result<PolicyFormat, String> {
    s.parse()
}

/// Parses `--group NAME=FILE`.
pub(crate) fn parse_group(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, file)) if !name.is_empty() && !file.is_empty() => {
            Ok((name.to_string(), PathBuf::from(file)))
        }
        _ => Err(format!("`{s}` is not NAME=FILE (e.g. browser-allowed-domains=rules.json)")),
    }
}

/// Runs `rulesim render`.
pub(crate) fn run(args: &RenderArgs) -> ExitCode {
    let path = args.policy.clone().unwrap_or_else(|| PathBuf::from("rulesim.yaml"));
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
    let loaded = match load_policy(&path, args.policy_format, &args.groups, &read) {
        Ok(l) => l,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(2);
        }
    };
    for w in &loaded.warnings {
        eprintln!("{w}");
    }
    let target = match args.target {
        RenderTarget::Aws => Target::Aws,
        RenderTarget::Cloudformation => Target::CloudFormation,
        RenderTarget::Terraform => Target::Terraform,
        RenderTarget::Suricata => Target::Suricata,
    };
    let files = match render::render(&loaded.policy, target) {
        Ok(f) => f,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(2);
        }
    };
    match &args.out {
        Some(dir) => {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("error: cannot create `{}`: {e}", dir.display());
                return ExitCode::from(2);
            }
            for f in &files {
                let p = dir.join(&f.name);
                if let Err(e) = std::fs::write(&p, &f.contents) {
                    eprintln!("error: cannot write `{}`: {e}", p.display());
                    return ExitCode::from(2);
                }
                eprintln!("wrote {}", p.display());
            }
        }
        None => {
            for f in &files {
                println!("==> {} <==", f.name);
                print!("{}", f.contents);
            }
        }
    }
    ExitCode::SUCCESS
}
