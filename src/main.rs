//! The `ringside` binary: parse the command line, run the command, map errors to exit codes.

use clap::Parser;

fn main() {
    let cli = ringside::cli::Cli::parse();
    if let Err(e) = ringside::commands::run(cli) {
        eprintln!("ringside: error: {}", ringside::commands::error_line(&e));
        std::process::exit(1);
    }
}
