//! The `tier` command-line tool; all the work is in the `tierlang` library.

// One exception, allowed where it is: the SIGBUS handler of a mapped input.
#![deny(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
