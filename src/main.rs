//! The `tier` command-line tool; all the work is in the `tierlang` library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
