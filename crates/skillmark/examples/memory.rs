//! Memory of each part of a highlighter (a diagnostic, not a test):
//! `cargo run --release -p skillmark --example memory -- dist/assets`.
fn rss_mb() -> String {
    format!("{:.1} MB (peak {:.1})", status("VmRSS"), status("VmHWM"))
}

fn status(key: &str) -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "assets".into());
    println!("start: {}", rss_mb());
    let files = skillmark::assets::AssetBytes::read_dir(std::path::Path::new(&dir)).unwrap();
    println!("files read: {}", rss_mb());
    {
        let r = skillmark::Ranker::from_assets(&files, skillmark_model::Precision::Int8).unwrap();
        println!("ranker: {}", rss_mb());
        let t = skillmark::tagger::Tagger::from_gguf(
            files.optional(skillmark::assets::TAGGER).unwrap(),
            skillmark_model::Precision::Int8,
        );
        println!("tagger ({}): {}", t.is_ok(), rss_mb());
        r.lexical();
        println!("lexical: {}", rss_mb());
    }
    println!("dropped: {}", rss_mb());
    let h = skillmark::Highlighter::from_assets(&files, skillmark_model::Precision::Int8).unwrap();
    println!("highlighter: {}", rss_mb());
    drop(files);
    println!("files dropped: {}", rss_mb());
    let lex = h.ranker.lexical();
    println!(
        "lexical: {} patterns, automaton {:.1} MB; rss {}",
        lex.patterns(),
        lex.memory_usage() as f64 / 1e6,
        rss_mb()
    );
    let text = "We need Python, SQL and strong communication skills. ".repeat(20);
    let r = h.highlight(&text, &h.default_options()).expect("highlight");
    println!("highlight: {} spans; rss {}", r.spans.len(), rss_mb());
}
