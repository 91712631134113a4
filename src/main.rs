fn main() {
    let p = std::env::args().nth(1).unwrap();
    let s = std::fs::read_to_string(&p).unwrap();
    match tierlang::syntax::parse(&s) {
        Ok(a) => {
            let o = tierlang::check::check(&a, &s);
            for d in o.diagnostics {
                println!(
                    "{:?}",
                    miette::Report::new(d)
                        .with_source_code(miette::NamedSource::new(&p, s.clone()))
                );
            }
            println!("ok={}", o.checked.is_some());
        }
        Err(e) => println!("{:?}", miette::Report::new(e).with_source_code(s)),
    }
}
