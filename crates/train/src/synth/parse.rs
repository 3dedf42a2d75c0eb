//! The model's answer → candidate sentences: one per line, with list markers
//! ("1.", "2)", "-", "*", "•"), surrounding quotes and markdown emphasis removed.

/// Strips a leading list marker: `12.`, `3)`, `(4)`, `5:`, `-`, `*`, `•`.
fn strip_marker(line: &str) -> &str {
    let t = line.trim_start();
    for bullet in ['-', '*', '•', '–'] {
        if let Some(rest) = t.strip_prefix(bullet) {
            if rest.starts_with(char::is_whitespace) {
                return rest.trim_start();
            }
        }
    }
    let inner = t.strip_prefix('(').unwrap_or(t);
    let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits <= 3 {
        let rest = &inner[digits..];
        for sep in ['.', ')', ':'] {
            if let Some(after) = rest.strip_prefix(sep) {
                if after.is_empty() || after.starts_with(char::is_whitespace) {
                    return after.trim_start();
                }
            }
        }
    }
    t
}

/// Drops a heading glued before the sentence: `*Some label* - …`,
/// `**Some label**: …`.
fn strip_heading(line: &str) -> &str {
    let t = line.trim_start();
    let stars = t.bytes().take_while(|&b| b == b'*').count();
    if stars == 0 {
        return t;
    }
    let marker = &t[..stars];
    if let Some(end) = t[stars..].find(marker) {
        let rest = t[stars + end + stars..].trim_start();
        for sep in ["-", "–", ":"] {
            if let Some(after) = rest.strip_prefix(sep) {
                return after.trim_start();
            }
        }
    }
    t
}

/// Removes markdown emphasis and one pair of surrounding quotes.
fn unwrap_text(s: &str) -> String {
    let s = strip_heading(s).replace("**", "").replace("__", "");
    let s = s.trim();
    let pairs = [('"', '"'), ('“', '”'), ('\'', '\''), ('«', '»')];
    for (open, close) in pairs {
        if s.chars().count() >= 2 && s.starts_with(open) && s.ends_with(close) {
            let inner = &s[open.len_utf8()..s.len() - close.len_utf8()];
            return inner.trim().to_string();
        }
    }
    s.to_string()
}

/// Splits an answer into candidate sentences (no filtering beyond dropping
/// empty lines; [`super::filter`] judges them).
pub fn parse_sentences(answer: &str) -> Vec<String> {
    answer
        .lines()
        .map(|l| unwrap_text(strip_marker(l)))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}
