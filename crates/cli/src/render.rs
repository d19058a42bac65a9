//! `rulesim render`: the files that deploy a policy.
//!
//! Reads the policy in any format rulesim understands and writes AWS CLI
//! JSON (`create-rule-group` / `create-firewall-policy` input), one
//! CloudFormation template, Terraform HCL, or the Suricata rules each group
//! evaluates to. The work is `rulesim_aws::render`; this module only
//! handles arguments, files and messages.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use rulesim_aws::render::{self, Target};

use crate::policy_file::{self, PolicyOptions};

/// Arguments of `rulesim render` (`--policy-format` and `--group` as for `check`).
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
    #[command(flatten)]
    policy_options: PolicyOptions,
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

/// Runs `rulesim render`.
pub(crate) fn run(args: &RenderArgs) -> ExitCode {
    let compiled = match policy_file::load(args.policy.as_deref(), &args.policy_options) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let target = match args.target {
        RenderTarget::Aws => Target::Aws,
        RenderTarget::Cloudformation => Target::CloudFormation,
        RenderTarget::Terraform => Target::Terraform,
        RenderTarget::Suricata => Target::Suricata,
    };
    let files = match render::render(compiled.policy(), target) {
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
