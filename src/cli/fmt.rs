//! `tier fmt`: rewrite policies in the canonical layout, or (`--check`) show a
//! unified diff of what would change and exit 1.

use super::policy::{find, Loaded, Problem};
use super::{usage_error, FAILED, OK};
use std::io::Read;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Policy files or folders (searched recursively for *.tier); `-` reads stdin
    /// and writes the formatted policy to stdout
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Change nothing; print a diff of unformatted files and exit 1 if there are any
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> u8 {
    if args.paths.len() == 1 && args.paths[0].as_os_str() == "-" {
        return stdin(args.check);
    }
    let files = match find(&args.paths) {
        Ok(f) => f,
        Err(e) => return usage_error(e),
    };
    let (mut unformatted, mut broken) = (0, 0);
    for file in &files {
        let loaded = match std::fs::read_to_string(file) {
            Ok(source) => Loaded::parse_only(file.display().to_string(), source),
            Err(e) => return usage_error(format_args!("cannot read `{}`: {e}", file.display())),
        };
        let Some(formatted) = formatted(&loaded) else {
            broken += 1;
            continue;
        };
        if formatted == loaded.source {
            continue;
        }
        unformatted += 1;
        if args.check {
            print!("{}", diff(&loaded.path, &loaded.source, &formatted));
        } else if let Err(e) = write_atomically(file, &formatted) {
            return usage_error(format_args!("cannot write `{}`: {e}", file.display()));
        } else {
            eprintln!("formatted {}", loaded.path);
        }
    }
    if args.check && unformatted > 0 {
        eprintln!("{}: run `tier fmt` on them", needs_formatting(unformatted, files.len()));
    }
    if broken > 0 || (args.check && unformatted > 0) {
        FAILED
    } else {
        OK
    }
}

/// "1 of 1 file needs formatting", "2 of 5 files need formatting".
fn needs_formatting(unformatted: usize, checked: usize) -> String {
    let files = if checked == 1 { "file" } else { "files" };
    let verb = if unformatted == 1 { "needs" } else { "need" };
    format!("{unformatted} of {checked} {files} {verb} formatting")
}

fn stdin(check: bool) -> u8 {
    let mut source = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut source) {
        return usage_error(format_args!("cannot read stdin: {e}"));
    }
    let loaded = Loaded::parse_only("<stdin>".into(), source);
    let Some(formatted) = formatted(&loaded) else {
        return FAILED;
    };
    if check {
        if formatted == loaded.source {
            return OK;
        }
        print!("{}", diff("<stdin>", &loaded.source, &formatted));
        return FAILED;
    }
    print!("{formatted}");
    OK
}

/// The formatted text, or `None` (with the syntax error printed) if it does not parse.
fn formatted(loaded: &Loaded) -> Option<String> {
    match (&loaded.ast, loaded.problems.first()) {
        (Some(ast), _) => Some(tierlang::fmt::format(ast, &loaded.source)),
        (None, Some(p @ Problem::Syntax(_))) => {
            eprint!("{}", loaded.render_human(p));
            None
        }
        _ => None,
    }
}

fn diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{path} (original)"), &format!("{path} (formatted)"))
        .to_string()
}

fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::needs_formatting;

    #[test]
    fn the_count_agrees_with_its_nouns() {
        assert_eq!(needs_formatting(1, 1), "1 of 1 file needs formatting");
        assert_eq!(needs_formatting(1, 3), "1 of 3 files needs formatting");
        assert_eq!(needs_formatting(2, 3), "2 of 3 files need formatting");
    }
}
