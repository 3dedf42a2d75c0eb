//! The CLI's JSON lines are the wire schema (`skillmark-schema`): each line of
//! `tag` is a `TaggedText` and each line of `rank` a `RankedText`, with no
//! field more or less (a line is parsed into the type and written back; the
//! two JSON values must be equal).

use std::path::Path;
use std::process::Command;

use serde::de::DeserializeOwned;
use serde::Serialize;
use skillmark::{RankedText, TaggedText};

fn run(args: &[&str]) -> String {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/job-post.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_skillmark"))
        .args(args)
        .arg(example)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn round_trips<T: DeserializeOwned + Serialize>(line: &str) -> T {
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    let typed: T = serde_json::from_value(value.clone()).expect("the line is the schema type");
    same_shape(&serde_json::to_value(&typed).unwrap(), &value, "$");
    typed
}

/// The same fields at every level (no field more or less than the schema),
/// the same strings and flags, numbers equal up to f32 rounding (scores are
/// f32; JSON parsing is not always correctly rounded).
fn same_shape(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
    use serde_json::Value::*;
    match (a, b) {
        (Object(x), Object(y)) => {
            let (kx, ky): (Vec<_>, Vec<_>) = (x.keys().collect(), y.keys().collect());
            assert_eq!(kx, ky, "fields at {at}");
            for (k, v) in x {
                same_shape(v, &y[k], &format!("{at}.{k}"));
            }
        }
        (Array(x), Array(y)) => {
            assert_eq!(x.len(), y.len(), "length at {at}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                same_shape(v, w, &format!("{at}[{i}]"));
            }
        }
        (Number(x), Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-6 * x.abs().max(1.0),
                "{x} vs {y} at {at}"
            );
        }
        _ => assert_eq!(a, b, "at {at}"),
    }
}

#[test]
fn tag_writes_the_schema_s_tagged_text() {
    let out = run(&["tag", "--lines"]);
    let docs: Vec<TaggedText> = out.lines().map(round_trips).collect();
    assert!(docs.len() > 5);
    assert!(docs.iter().any(|d| !d.highlights.spans.is_empty()));
    let whole: TaggedText = round_trips(run(&["tag"]).trim_end());
    assert!(!whole.highlights.skills.is_empty());
}

#[test]
fn rank_writes_the_schema_s_ranked_text() {
    let out = run(&["rank", "--top-k", "3"]);
    let lines: Vec<RankedText> = out.lines().map(round_trips).collect();
    assert!(lines.len() > 5);
    assert!(lines.iter().all(|l| l.skills.len() == 3));
}
