//! `tier lsp`: the language server, on stdin/stdout (see docs/editors.md).

use super::{FAILED, OK};

#[derive(clap::Args)]
pub struct Args {
    /// Accepted for editors that pass it; stdio is the only transport
    #[arg(long)]
    stdio: bool,
}

pub fn run(args: Args) -> u8 {
    let _ = args.stdio;
    match tierlang::lsp::run_stdio() {
        Ok(()) => OK,
        Err(e) => {
            eprintln!("error: tier lsp: {e}");
            FAILED
        }
    }
}
