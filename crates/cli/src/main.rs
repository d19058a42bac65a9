//! The `rulesim` command: what AWS Network Firewall would do, offline.
//!
//! Each subcommand lives in its own module and returns an exit code: 0 when
//! it ran, 2 when the input was bad (with a message naming the file, line
//! and column on stderr).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod check;
mod diff;
mod flows;
mod lint;
mod policy_file;
mod render;
mod replay;
mod test_cmd;

/// Replay allocates a few small objects per flow (names, reports, log
/// records); mimalloc's thread-local free lists make that cheaper than the
/// system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Offline engine and simulator for domain-based egress firewalls (AWS
/// Network Firewall semantics).
#[derive(Parser)]
#[command(name = "rulesim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// What AWS would do to every packet and flow of captures, and why.
    Replay(replay::ReplayArgs),
    /// What the policy does with names: the verdict and the deciding rule.
    Check(check::CheckArgs),
    /// One line per flow of captures: endpoints, protocol, SNI, Host, DNS names.
    Flows(flows::FlowsArgs),
    /// The files that deploy the policy: AWS JSON, CloudFormation, Terraform, Suricata.
    Render(render::RenderArgs),
    /// Review policies: mistakes, risky allowances, AWS limits (docs/lints.md).
    Lint(lint::LintArgs),
    /// Run the declarative policy tests in `tests/` next to each policy.
    Test(test_cmd::TestArgs),
    /// Which names and flows change verdict between two policies.
    Diff(diff::DiffArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Replay(args) => replay::run(args),
        Command::Check(args) => check::run(args),
        Command::Flows(args) => flows::run(args),
        Command::Render(args) => render::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Test(args) => test_cmd::run(args),
        Command::Diff(args) => diff::run(args),
    }
}
