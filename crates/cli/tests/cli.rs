//! End-to-end tests of the `skillmark` binary on the shipped `assets/`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets")
}

fn skillmark(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_skillmark"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// The JSON document a successful run printed (its stderr when it failed).
fn json_ok(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn jsonl(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

fn labels(v: &serde_json::Value) -> Vec<String> {
    v["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn rank_writes_one_object_per_line_in_order() {
    let input = "Strong experience programming in Python and Java.\n\n   \nYou will provide first aid to injured workers.\n";
    let out = skillmark(&["rank"], input.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = jsonl(&out);
    assert_eq!(rows.len(), 2, "empty lines are skipped");
    assert_eq!(
        rows[0]["text"],
        "Strong experience programming in Python and Java."
    );
    assert_eq!(
        rows[1]["text"],
        "You will provide first aid to injured workers."
    );
    for r in &rows {
        let skills = r["skills"].as_array().unwrap();
        assert_eq!(skills.len(), 10, "10 by default");
        let scores: Vec<f64> = skills
            .iter()
            .map(|s| s["score"].as_f64().unwrap())
            .collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "best first: {scores:?}"
        );
        // Cosine plus at most the bundle's lexical bonus (skills named outright).
        let bonus = manifest_lexical_bonus();
        assert!(
            scores.iter().all(|s| (-1.01..=1.01 + bonus).contains(s)),
            "{scores:?}"
        );
        for s in skills {
            assert!(s["uri"]
                .as_str()
                .unwrap()
                .starts_with("http://data.europa.eu/esco/skill/"));
        }
    }
    assert!(
        labels(&rows[0])[..5].contains(&"Python (computer programming)".to_string()),
        "{:?}",
        labels(&rows[0])
    );
    assert!(
        labels(&rows[1])[..5].contains(&"provide first aid".to_string()),
        "{:?}",
        labels(&rows[1])
    );
}

#[test]
fn rank_reads_files_and_honours_top_k() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("in.txt");
    std::fs::write(&f, "manage a team of nurses\r\nbookkeeping and payroll").unwrap();
    let out = skillmark(&["rank", f.to_str().unwrap(), "--top-k", "3"], b"");
    assert!(out.status.success());
    let rows = jsonl(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["text"], "manage a team of nurses", "CRLF stripped");
    assert!(rows
        .iter()
        .all(|r| r["skills"].as_array().unwrap().len() == 3));
}

#[test]
fn invalid_utf8_is_reported_with_its_line_number() {
    let input = b"good first line about SQL\nbad \xff\xfe line\nthird line\n";
    let out = skillmark(&["rank"], input);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("UTF-8"), "{err}");
    assert_eq!(jsonl(&out).len(), 1, "work before the bad line is kept");

    let out = skillmark(&["rank", "--skip-invalid"], input);
    assert!(out.status.success());
    assert_eq!(jsonl(&out).len(), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));
}

#[test]
fn a_one_megabyte_line_does_not_crash() {
    let mut line = "experience with customer service and cash handling ".repeat(20_000);
    line.truncate(1 << 20);
    line.push('\n');
    let out = skillmark(&["rank", "--top-k", "2"], line.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = jsonl(&out);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["skills"].as_array().unwrap().len(), 2);
}

#[test]
fn binary_and_hostile_text_is_handled() {
    let input = "<script>alert(1)</script>\n\u{0}\u{1}\u{7f} \u{202e}evil\n🙂🙂🙂\n";
    let out = skillmark(&["rank", "--top-k", "1"], input.as_bytes());
    assert!(out.status.success());
    let rows = jsonl(&out);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["text"], "<script>alert(1)</script>");
}

#[test]
fn eval_rank_computes_the_papers_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let gold = dir.path().join("gold.csv");
    std::fs::write(
        &gold,
        "sentence,span,sub_span,label\n\
         Expert Python programmer,Python,,Python (computer programming)\n\
         Expert Python programmer,programmer,,LABEL NOT PRESENT\n\
         we need someone,someone,,UNDERSPECIFIED\n\
         you will provide first aid,first aid,,provide first aid\n",
    )
    .unwrap();
    let out = skillmark(
        &["eval", "rank", "--gold", gold.to_str().unwrap(), "--json"],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &v[0]["metrics"];
    assert_eq!(m["sentences"], 2, "sentences without skills are skipped");
    // Both skills are the obvious match: ranked first.
    assert_eq!(m["rp5"], 100.0);
    assert_eq!(m["mrr"], 100.0);

    let list = dir.path().join("list.csv");
    std::fs::write(
        &list,
        ",sentence,skills\n0,Expert Python programmer,\"['Python (computer programming)']\"\n",
    )
    .unwrap();
    let out = skillmark(&["eval", "rank", "--gold", list.to_str().unwrap()], b"");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("| 1 | 100.00 |"));
}

#[test]
fn eval_rank_names_file_and_line_of_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let gold = dir.path().join("bad.csv");
    std::fs::write(
        &gold,
        "sentence,label\nfine,provide first aid\nbroken,too,many,fields\n",
    )
    .unwrap();
    let out = skillmark(&["eval", "rank", "--gold", gold.to_str().unwrap()], b"");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.csv") && err.contains("line 3"), "{err}");

    std::fs::write(&gold, "text,whatever\nx,y\n").unwrap();
    let out = skillmark(&["eval", "rank", "--gold", gold.to_str().unwrap()], b"");
    assert!(String::from_utf8_lossy(&out.stderr).contains("sentence"));
}

fn copy_assets() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(assets()).unwrap() {
        let e = e.unwrap();
        // The bundle's files only (not a derived bundle in a folder, e.g. web/).
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
    }
    dir
}

#[test]
fn corrupted_or_missing_assets_give_clear_errors() {
    let dir = copy_assets();
    let enc = dir.path().join("encoder.gguf");
    let mut bytes = std::fs::read(&enc).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&enc, &bytes).unwrap();
    let out = skillmark(
        &["rank", "--model", dir.path().to_str().unwrap()],
        b"python\n",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("encoder.gguf") && err.contains("sha256"),
        "{err}"
    );

    std::fs::write(&enc, &bytes[..n / 2]).unwrap();
    let out = skillmark(
        &["rank", "--model", dir.path().to_str().unwrap()],
        b"python\n",
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated"));

    let out = skillmark(&["rank", "--model", "/nonexistent/bundle"], b"python\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/bundle"));
}

#[test]
fn index_build_rebuilds_and_updates_the_manifest() {
    let dir = copy_assets();
    let d = dir.path().to_str().unwrap();
    let before = std::fs::read(dir.path().join("skills.index")).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
    let skill_text = manifest["index"]["skill_text"]
        .as_str()
        .unwrap()
        .to_string();
    let out = skillmark(
        &["index", "build", "--model", d, "--skill-text", &skill_text],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::read(dir.path().join("skills.index")).unwrap();
    assert!(
        before == after,
        "the shipped index is exactly what `index build` makes"
    );
    let out = skillmark(&["rank", "--model", d, "--top-k", "1"], b"Python\n");
    assert!(out.status.success());
    assert_eq!(labels(&jsonl(&out)[0])[0], "Python (computer programming)");
}

fn write_tmp(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("skillmark-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

const CONLL: &str = "We\tO\tO\nuse\tO\tO\nPython\tO\tB-Knowledge\nand\tO\tO\nSQL\tO\tB-Knowledge\n.\tO\tO\n\n\nManage\tB-Skill\tO\na\tI-Skill\tO\nteam\tI-Skill\tO\n";

#[test]
fn spans_keeps_tokens_and_layout() {
    let input = write_tmp("in.conll", &CONLL.replace("\tO\tO\n", "\tO\tO\textra\n"));
    let out = skillmark(&["spans", "--conll", input.to_str().unwrap()], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).unwrap();
    let want_tokens: Vec<&str> = CONLL
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), want_tokens.len());
    for (l, t) in lines.iter().zip(&want_tokens) {
        if t.is_empty() {
            assert!(l.is_empty());
            continue;
        }
        let cols: Vec<&str> = l.split('\t').collect();
        assert_eq!(cols.len(), 3, "{l}");
        assert_eq!(cols[0], *t);
        assert!(["O", "B-Skill", "I-Skill"].contains(&cols[1]), "{l}");
        assert!(
            ["O", "B-Knowledge", "I-Knowledge"].contains(&cols[2]),
            "{l}"
        );
    }
}

#[test]
fn eval_spans_scores_gold_files() {
    let gold = write_tmp("gold.conll", CONLL);
    let out = skillmark(
        &["eval", "spans", "--gold", gold.to_str().unwrap(), "--json"],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v[0]["scores"];
    assert_eq!(s["sentences"], 2);
    assert_eq!(s["skill"]["gold"], 1);
    assert_eq!(s["knowledge"]["gold"], 2);
    let f1 = s["combined"]["f1"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&f1));
    assert_eq!(v.as_array().unwrap().len(), 1, "one file: no pooled row");
    // Two files: each, then both pooled.
    let out = skillmark(
        &[
            "eval",
            "spans",
            "--gold",
            gold.to_str().unwrap(),
            "--gold",
            gold.to_str().unwrap(),
            "--json",
        ],
        b"",
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[2]["gold"], "all");
    assert_eq!(v[2]["scores"]["sentences"], 4);
    assert_eq!(v[2]["scores"]["knowledge"]["gold"], 4);
    assert_eq!(
        v[2]["scores"]["combined"]["f1"],
        v[0]["scores"]["combined"]["f1"]
    );
    let bad = write_tmp("bad.conll", "a\tX\tO\n");
    let out = skillmark(&["eval", "spans", "--gold", bad.to_str().unwrap()], b"");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
}

#[test]
fn tag_outputs_offsets_links_and_skill_list() {
    let text = "Über uns: we need Python and SQL skills.\n• Manage a team of nurses";
    let out = skillmark(&["tag", "--format", "jsonl"], text.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = jsonl(&out);
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(d["text"], text);
    let spans = d["spans"].as_array().unwrap();
    assert!(!spans.is_empty());
    let chars: Vec<char> = text.chars().collect();
    for s in spans {
        let (a, b) = (
            s["startChar"].as_u64().unwrap() as usize,
            s["endChar"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            chars[a..b].iter().collect::<String>(),
            s["text"].as_str().unwrap()
        );
        for l in s["links"].as_array().unwrap() {
            assert!(["technology", "technical", "business", "soft"]
                .contains(&l["category"].as_str().unwrap()));
        }
    }
    assert!(!d["skills"].as_array().unwrap().is_empty());
}

#[test]
fn tag_html_escapes_user_text_and_reads_html_input() {
    let hostile = "<p>Python &amp; <script>alert(1)</script>SQL</p><img src=x onerror=alert(2)>";
    let out = skillmark(&["tag", "--format", "html"], hostile.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<img"),
        "{html}"
    );
    let out = skillmark(
        &["tag", "--format", "html", "--input", "text"],
        hostile.as_bytes(),
    );
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
    let out = skillmark(&["tag", "--format", "jsonl"], hostile.as_bytes());
    let d = &jsonl(&out)[0];
    assert_eq!(d["html"], true);
    assert!(d["text"].as_str().unwrap().starts_with("Python & SQL"));
    let out = skillmark(
        &["tag", "--format", "text", "--lines"],
        b"Python\n\n\xff\xfe\n",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("UTF-8"));
    let out = skillmark(&["tag", "--format", "text"], b"   ");
    assert!(out.status.success());
}

fn manifest_lexical_bonus() -> f64 {
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/manifest.json"))
            .unwrap(),
    )
    .unwrap();
    m["ranking"]["lexical_bonus"].as_f64().unwrap_or(0.0)
}

#[test]
fn eval_links_measures_each_link_mode() {
    let dir = tempfile::tempdir().unwrap();
    let gold = dir.path().join("spans.csv");
    // "manage a" is a span cut short: only its sentence says what is managed.
    std::fs::write(
        &gold,
        "sentence,span,sub_span,label\n\
         Strong experience with Python and SQL.,Python,,Python (computer programming)\n\
         You will manage a budget of 2 million.,manage a,,manage budgets\n\
         You will manage a budget of 2 million.,2 million,,LABEL NOT PRESENT\n",
    )
    .unwrap();
    let out = skillmark(
        &[
            "eval",
            "links",
            "--gold",
            gold.to_str().unwrap(),
            "--lexical-bonus",
            "0",
            "--json",
        ],
        b"",
    );
    let v = json_ok(&out);
    let row = |mode: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|r| r["mode"].as_str().unwrap().starts_with(mode))
            .unwrap_or_else(|| panic!("a {mode} row"))["metrics"]
            .clone()
    };
    assert_eq!(
        row("text")["sentences"],
        2,
        "spans without a skill are skipped"
    );
    // In context both spans link first; the text "manage a" alone does not.
    assert_eq!(row("context")["mrr"], 100.0);
    assert!(row("text")["mrr"].as_f64().unwrap() < 100.0);
    assert_eq!(row("both")["mrr"], 100.0);

    // Skill-XL style: every sentence of an ad, most with no skill; the
    // skill-free one must list nothing, and the table says how many did.
    let xl = dir.path().join("xl.csv");
    std::fs::write(
        &xl,
        "ID,subset,title,sentence,relevant,cluster,skill\n\
         a,RANDOM,Dev,We are a family-owned company founded in 1950.,False,,\n\
         a,RANDOM,Dev,Strong experience with Python and SQL.,True,1,Python (computer programming)\n\
         a,RANDOM,Dev,Strong experience with Python and SQL.,True,1,SQL\n",
    )
    .unwrap();
    let out = skillmark(
        &[
            "eval",
            "highlight",
            "--gold",
            gold.to_str().unwrap(),
            "--gold",
            xl.to_str().unwrap(),
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("at the bundle's thresholds: min_score 0.55"),
        "{text}"
    );
    assert!(text.contains("best mean F1 of the files"), "{text}");
    assert!(text.contains("| all | 4 |"), "{text}");
    // Python and SQL are label spans: both found, and nothing in the
    // company sentence.
    let xl_row = text
        .lines()
        .find(|l| l.contains("xl.csv"))
        .expect("a row for xl.csv");
    assert!(
        xl_row.contains("| 2 | 2 | 2 | 100.00 | 100.00 | 100.00 | 0 of 1 |"),
        "{xl_row}"
    );
}

#[test]
fn occupations_for_titles_and_their_accuracy() {
    let out = skillmark(
        &["occupations", "--title", "--top-k", "3"],
        b"Registered Nurse\n\n  software developer \n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = jsonl(&out);
    assert_eq!(lines.len(), 2, "one line per non-empty title");
    assert_eq!(lines[1]["text"], "software developer");
    let occ = lines[1]["occupations"].as_array().unwrap();
    assert_eq!(occ.len(), 3);
    assert_eq!(occ[0]["label"], "software developer");
    for key in [
        "uri",
        "iscoGroup",
        "score",
        "supporting",
        "missingEssential",
    ] {
        assert!(occ[0].get(key).is_some(), "{key} in {}", occ[0]);
    }
    // A document is the whole input: one line.
    let out = skillmark(
        &["occupations"],
        b"Nurse wanted.\nYou will plan nursing care and monitor patients.",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(jsonl(&out).len(), 1);

    let dir = tempfile::tempdir().unwrap();
    let titles = dir.path().join("titles.csv");
    std::fs::write(
        &titles,
        ",vacancyTitle,conceptUri\n\
         0,software developer,http://data.europa.eu/esco/occupation/f2b15a0e-e65a-438a-affb-29b9d50b77d1\n\
         1,Registered Nurse,http://data.europa.eu/esco/occupation/not-in-esco\n",
    )
    .unwrap();
    let out = skillmark(
        &[
            "eval",
            "occupations",
            "--titles",
            titles.to_str().unwrap(),
            "--json",
        ],
        b"",
    );
    let v = json_ok(&out);
    assert_eq!(v["titles"], 1, "the unknown occupation is skipped");
    assert_eq!(v["r1"], 100.0, "{v}");
    assert_eq!(v["mrr"], 100.0, "{v}");
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("1 titles name an occupation not in the taxonomy"));
}

/// A one-page PDF with one line of Helvetica text per entry of `lines`,
/// written by hand (offsets in the xref table computed).
fn text_pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 11 Tf 50 750 Td 14 TL\n");
    for l in lines {
        let escaped = l
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("({escaped}) Tj T*\n"));
    }
    content.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// A DOCX with one paragraph per entry of `lines`.
fn text_docx(lines: &[&str]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let body: String = lines
        .iter()
        .map(|l| format!("<w:p><w:r><w:t xml:space=\"preserve\">{l}</w:t></w:r></w:p>"))
        .collect();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default();
    let parts = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#.to_string()),
        ("word/document.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#)),
    ];
    for (name, data) in parts {
        zip.start_file(name, opts).unwrap();
        zip.write_all(data.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

const JOB_POST: &str = "Job title: Data Engineer\n\
    - At least 4 years of experience as a data engineer.\n\
    - Strong Python and SQL.\n\
    - Experience with Apache Spark.\n\
    - Bachelor's degree in computer science.\n";

const RESUME_LINES: &[&str] = &[
    "Jane Doe",
    "Education: Master's degree in Computer Science",
    "Skills: Python, SQL, Microsoft Excel",
    "Data Engineer, Acme (2018 - 2023)",
];

#[test]
fn compare_reads_pdf_and_docx_resumes_and_explains_the_match() {
    let dir = tempfile::tempdir().unwrap();
    let job = dir.path().join("job.txt");
    std::fs::write(&job, JOB_POST).unwrap();
    let pdf = dir.path().join("resume.pdf");
    std::fs::write(&pdf, text_pdf(RESUME_LINES)).unwrap();
    let docx = dir.path().join("resume.docx");
    std::fs::write(&docx, text_docx(RESUME_LINES)).unwrap();
    let (job, pdf, docx) = (
        job.to_str().unwrap(),
        pdf.to_str().unwrap(),
        docx.to_str().unwrap(),
    );

    let mut scores = Vec::new();
    for resume in [pdf, docx] {
        let args = [
            "compare", "--job", job, "--resume", resume, "--format", "json",
        ];
        let v = json_ok(&skillmark(&args, b""));
        // The résumé text the spans refer to is the file's text layer.
        let res_spans = v["resume"]["spans"].as_array().unwrap();
        assert!(
            res_spans.iter().any(|s| s["text"] == "Python"),
            "{resume}: {res_spans:?}"
        );
        let skills = v["skills"].as_array().unwrap();
        let python = skills
            .iter()
            .find(|s| s["skill"]["label"] == "Python (computer programming)")
            .expect("the post asks for Python");
        assert_eq!(python["matched"]["kind"], "same");
        let spark = skills
            .iter()
            .find(|s| {
                s["jobSpans"].as_array().unwrap().iter().any(|i| {
                    v["job"]["spans"][i.as_u64().unwrap() as usize]["text"]
                        .as_str()
                        .unwrap()
                        .contains("Spark")
                })
            })
            .expect("the post asks for Spark");
        assert!(spark["matched"].is_null(), "Spark is the gap: {spark}");
        assert_eq!(v["experience"]["required"][0]["years"], 4.0);
        assert_eq!(v["experience"]["required"][0]["resumeYears"], 5.0);
        assert_eq!(v["education"]["resumeDegree"], "master");
        let score = v["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score));
        scores.push(score);
    }
    assert_eq!(scores[0], scores[1], "the same résumé as PDF and as DOCX");

    // Text: a readable report; HTML: the texts escaped, the evidence marked.
    let out = skillmark(
        &[
            "compare", "--job", job, "--resume", docx, "--format", "text",
        ],
        b"",
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Match: "), "{text}");
    assert!(
        text.contains("Missing (") && text.contains("Matched ("),
        "{text}"
    );
    let hostile = dir.path().join("hostile.html");
    std::fs::write(
        &hostile,
        "<html><body><p>Python <img src=x onerror=alert(1)> &lt;script&gt;alert(2)&lt;/script&gt;</p></body></html>",
    )
    .unwrap();
    let out = skillmark(
        &[
            "compare",
            "--job",
            job,
            "--resume",
            hostile.to_str().unwrap(),
            "--format",
            "html",
            "--no-occupations",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.contains("<mark class=\"matched\""), "{html}");
    assert!(
        !html.contains("<script>") && !html.contains("<img"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;"), "{html}");

    // A scanned PDF (no text layer) is a clear error, not an empty match.
    let scanned = dir.path().join("scan.pdf");
    std::fs::write(&scanned, text_pdf(&[])).unwrap();
    let out = skillmark(
        &[
            "compare",
            "--job",
            job,
            "--resume",
            scanned.to_str().unwrap(),
        ],
        b"",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no text layer"), "{err}");
}

#[test]
fn eval_compare_reports_rjdb_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rjdb.jsonl");
    let row = |job: &str, matched: &str, unmatched: &str, removed: &[&str]| {
        serde_json::json!({
            "Job-Description": job,
            "Resume-matched": matched,
            "Resume-unmatched": unmatched,
            "Filtered-information": {"Skills": removed, "Experience": ""},
        })
        .to_string()
    };
    let rows = [
        row(
            "## Required Skills\n1. Python\n2. SQL\n3. Project Management\n## Required Experience\nAt least 3 years as a software developer.",
            "## Skills\n1. Python\n2. SQL\n3. Project Management\n## Experience\nSoftware developer (2015 - 2020)",
            "## Skills\n1. Project Management\n## Experience\nSoftware developer (2019 - 2020)",
            &["Python", "SQL"],
        ),
        row(
            "## Required Skills\n1. First Aid\n2. Customer Service\n## Required Experience\nAt least 2 years as a lifeguard.",
            "## Skills\n1. First Aid\n2. Customer Service\n## Experience\nLifeguard (2018 - 2022)",
            "## Skills\n1. First Aid\n## Experience\nLifeguard (2021 - 2022)",
            &["Customer Service"],
        ),
    ];
    std::fs::write(&path, rows.join("\n")).unwrap();
    let out = skillmark(
        &[
            "eval",
            "compare",
            "--rjdb",
            path.to_str().unwrap(),
            "--json",
            "--model",
            assets().to_str().unwrap(),
        ],
        b"",
    );
    let v = json_ok(&out);
    assert_eq!(v["triples"], 2);
    assert_eq!(v["removed_skills"], 3);
    // Each matched résumé covers more of its post than its weakened copy.
    assert_eq!(v["pairwise_accuracy"], 100.0, "{v}");
    for key in ["auc", "gap_recall", "removed_in_post"] {
        let x = v[key].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&x), "{key}: {v}");
    }
    assert!(v["gap_recall"].as_f64().unwrap() > 0.0, "{v}");
    // A broken line is an error that names it.
    std::fs::write(&path, format!("{}\nnot json\n", rows[0])).unwrap();
    let out = skillmark(&["eval", "compare", "--rjdb", path.to_str().unwrap()], b"");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));
}
