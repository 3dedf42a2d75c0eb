//! HTML → plain text for tagging HTML input: tags dropped, block elements
//! become line breaks, `<script>`/`<style>` skipped, entities decoded.
//! Offsets of highlights then refer to the returned text. Linear time, never
//! fails: malformed markup degrades to text.

/// Elements that end a line of text.
const BLOCKS: [&str; 24] = [
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "pre",
    "hr",
    "dd",
];

/// Inline elements whose closing tag also marks a text as HTML.
const INLINE: [&str; 12] = [
    "b", "i", "u", "em", "strong", "span", "a", "small", "code", "font", "sup", "sub",
];

/// Does `s` look like HTML: a tag near the start, several of the common
/// block tags, or anywhere a closing tag of a known element (`</b>`,
/// `</li>`, …) or a line break tag? Plain text seldom holds any of these,
/// while a fragment copied from a job board's markup ("We need
/// <b>Python</b> &amp; SQL") often has nothing else.
pub fn looks_like_html(s: &str) -> bool {
    let t = s.trim_start();
    let lower = t.get(..t.len().min(512)).unwrap_or(t).to_ascii_lowercase();
    lower.starts_with("<!doctype")
        || lower.starts_with("<html")
        || (t.starts_with('<') && lower.contains('>'))
        || ["<p>", "<br", "<li>", "<div"]
            .iter()
            .filter(|p| lower.contains(*p))
            .count()
            >= 2
        || has_known_closing_or_break_tag(t)
}

fn has_known_closing_or_break_tag(s: &str) -> bool {
    let bytes = s.as_bytes();
    s.match_indices('<').any(|(i, _)| {
        let rest = &bytes[i + 1..];
        let (closing, rest) = match rest.first() {
            Some(b'/') => (true, &rest[1..]),
            _ => (false, rest),
        };
        let name_len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let name = std::str::from_utf8(&rest[..name_len])
            .unwrap_or("")
            .to_ascii_lowercase();
        let after = rest.get(name_len..).unwrap_or(&[]);
        if closing {
            let ends = after
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|&b| b == b'>');
            ends && (BLOCKS.contains(&name.as_str()) || INLINE.contains(&name.as_str()))
        } else {
            name == "br" && matches!(after.first(), Some(b'>' | b'/' | b' '))
        }
    })
}

pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut skip_until: Option<&str> = None;
    while !rest.is_empty() {
        if let Some(end_tag) = skip_until {
            match find_ci(rest, end_tag) {
                Some(i) => {
                    rest = &rest[i..];
                    skip_until = None;
                }
                None => break,
            }
            continue;
        }
        let Some(lt) = rest.find('<') else {
            decode_entities(rest, &mut out);
            break;
        };
        decode_entities(&rest[..lt], &mut out);
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            rest = rest.find("-->").map_or("", |i| &rest[i + 3..]);
            continue;
        }
        let starts_tag =
            rest[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        let gt = if starts_tag { rest.find('>') } else { None };
        let Some(gt) = gt else {
            // A lone '<' is text.
            out.push('<');
            rest = &rest[1..];
            continue;
        };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if !tag.starts_with('/') && (name == "script" || name == "style") {
            skip_until = Some(if name == "script" {
                "</script"
            } else {
                "</style"
            });
            continue;
        }
        if BLOCKS.contains(&name.as_str()) && !out.ends_with('\n') && !out.is_empty() {
            out.push('\n');
        }
    }
    out
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    hay.char_indices().map(|(i, _)| i).find(|&i| {
        hay.get(i..i + n)
            .is_some_and(|s| s.eq_ignore_ascii_case(needle))
    })
}

fn decode_entities(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..]
            .find(|c: char| c == ';' || c == '&' || c.is_whitespace())
            .map(|i| i + 1);
        let decoded = match end {
            Some(e) if rest.as_bytes()[e] == b';' && e <= 12 => {
                entity(&rest[1..e]).map(|c| (c, e + 1))
            }
            _ => None,
        };
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let v = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(v).filter(|c| *c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '–',
        "mdash" => '—',
        "bull" => '•',
        "middot" => '·',
        "hellip" => '…',
        "rsquo" => '’',
        "lsquo" => '‘',
        "rdquo" => '”',
        "ldquo" => '“',
        "eacute" => 'é',
        "euro" => '€',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        _ => return None,
    })
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_markup_and_entities() {
        let h = "<ul><li>Python &amp; SQL</li><li>C&#43;&#x2B; &nbsp;tools</li></ul><script>alert('x<y')</script><p>Tom&apos;s <b>team</b> &unknown; & 3 < 4</p><!-- c -->";
        assert_eq!(
            html_to_text(h),
            "Python & SQL\nC++ \u{a0}tools\nTom's team &unknown; & 3 < 4\n"
        );
        assert!(looks_like_html("  <p>hi</p>"));
        assert!(!looks_like_html("3 < 4 and 5 > 2"));
        assert!(looks_like_html("We need <b>strong</b> Python &amp; SQL"));
        assert!(looks_like_html("line one<br/>line two"));
        assert!(looks_like_html("Tools: <SPAN class=x>Git</SPAN >"));
        assert!(!looks_like_html("if a</b then <brace> and </ notes>"));
        assert!(!looks_like_html("Use <T> in Rust generics, Vec</T>"));
        assert!(!looks_like_html("C++ <3 teams, tags like </ and < /b>"));
        assert!(!html_to_text("<style>p{}</style").contains("p{}"));
        assert_eq!(html_to_text("a <b"), "a <b");
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
