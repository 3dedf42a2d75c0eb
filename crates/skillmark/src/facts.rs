//! What job posts and résumés state besides skills, read from their words:
//! years of experience ("at least 4 years", "5+ yrs"), dated roles
//! ("Data Engineer (2019 - 2023)", "Jan 2020 – present"), degrees
//! ("Bachelor's degree", "MSc", "PhD") and the post's title line.
//!
//! Plain word scanning, no regex engine: the patterns are few and the wasm
//! build stays small.

use skillmark_schema::Degree;

/// A byte range of a text.
pub type Range = (usize, usize);

/// "N years" in a text: the number, the range of its line (the sentence
/// that states it) and that line with the number phrase removed (what the
/// years are of).
#[derive(Clone, Debug, PartialEq)]
pub struct YearsStatement {
    pub years: f32,
    pub line: Range,
    pub context: String,
}

/// A dated role: its line, the line without the dates (the role), and the
/// years it spans.
#[derive(Clone, Debug, PartialEq)]
pub struct DatedRole {
    pub line: Range,
    pub title: String,
    pub from: u16,
    pub to: u16,
    pub years: f32,
}

/// Lines of a text, each without its surrounding whitespace (byte ranges).
pub fn lines(text: &str) -> impl Iterator<Item = Range> + '_ {
    let mut at = 0;
    text.split_inclusive('\n').filter_map(move |l| {
        let start = at;
        at += l.len();
        let lead = l.len() - l.trim_start().len();
        let trimmed = l.trim();
        (!trimmed.is_empty()).then(|| (start + lead, start + lead + trimmed.len()))
    })
}

/// Words of a line: (byte range, lowercase word); a word is a run of
/// letters, digits, `+`, `'` or `.` inside a word ("ph.d", "5+").
fn words(line: &str) -> Vec<(Range, String)> {
    let mut out = Vec::new();
    let mut start = None;
    let bytes: Vec<(usize, char)> = line.char_indices().collect();
    for (k, &(i, c)) in bytes.iter().enumerate() {
        let inner = matches!(c, '\'' | '’' | '.')
            && start.is_some()
            && bytes.get(k + 1).is_some_and(|&(_, n)| n.is_alphanumeric());
        let part = c.is_alphanumeric() || c == '+' || inner;
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(((s, i), line[s..i].to_lowercase()));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(((s, line.len()), line[s..].to_lowercase()));
    }
    out
}

const NUMBER_WORDS: [&str; 15] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen",
];

fn number(word: &str) -> Option<f32> {
    let w = word.trim_end_matches('+');
    if let Ok(n) = w.parse::<f32>() {
        return (n > 0.0 && n <= 50.0).then_some(n);
    }
    NUMBER_WORDS
        .iter()
        .position(|&n| n == w)
        .map(|i| (i + 1) as f32)
}

/// Every "N years" / "N+ yrs" / "N-M years" of experience the text states
/// (not "N years old").
pub fn years_statements(text: &str) -> Vec<YearsStatement> {
    let mut out = Vec::new();
    for (ls, le) in lines(text) {
        let line = &text[ls..le];
        let w = words(line);
        for k in 0..w.len() {
            if !matches!(w[k].1.as_str(), "year" | "years" | "yrs" | "yr") {
                continue;
            }
            if w.get(k + 1).is_some_and(|n| n.1 == "old") {
                continue;
            }
            // "3 years", "3+ years", "3 - 5 years" (the lower bound), "3 or more years".
            let mut found = None;
            for back in 1..=3 {
                let Some(j) = k.checked_sub(back) else { break };
                if let Some(n) = number(&w[j].1) {
                    found = Some((j, n));
                    if back == 1 || !w[j + 1..k].iter().any(|x| number(&x.1).is_some()) {
                        break;
                    }
                }
            }
            let Some((j, mut n)) = found else { continue };
            let mut ps = w[j].0 .0;
            if let Some(lower) = j
                .checked_sub(1)
                .and_then(|i| number(&w[i].1))
                .filter(|_| line[w[j - 1].0 .1..w[j].0 .0].trim() == "-")
            {
                n = lower;
                ps = w[j - 1].0 .0;
            }
            let pe = w[k].0 .1;
            let context = format!("{} {}", &line[..ps], &line[pe..]);
            out.push(YearsStatement {
                years: n,
                line: (ls, le),
                context: clean_title(&context),
            });
        }
    }
    out
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn year(word: &str) -> Option<u16> {
    // "2019", "03/2019", "2019-03".
    let digits = word
        .split(['/', '-'])
        .find(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit()))?;
    let y: u16 = digits.parse().ok()?;
    (1950..=2100).contains(&y).then_some(y)
}

fn is_now(word: &str) -> bool {
    matches!(word, "present" | "current" | "now" | "today" | "date" | "ongoing")
}

fn is_month(word: &str) -> bool {
    word.len() >= 3 && MONTHS.iter().any(|m| word.starts_with(m))
}

/// Every line with a date range ("2019 - 2023", "(Jan 2020 – present)",
/// "2015 to 2018") as a role. `now` is the year "present" stands for.
pub fn dated_roles(text: &str, now: u16) -> Vec<DatedRole> {
    let mut out = Vec::new();
    for (ls, le) in lines(text) {
        let line = &text[ls..le];
        let w = words(line);
        let mut k = 0;
        while k < w.len() {
            let Some(from) = year(&w[k].1) else {
                k += 1;
                continue;
            };
            // The end: the next word that is a year or "present", with at
            // most a month and a separator between.
            let mut end = None;
            for j in k + 1..(k + 4).min(w.len()) {
                let gap = &line[w[j - 1].0 .1..w[j].0 .0];
                let sep_ok = gap.trim().is_empty()
                    || gap.trim().chars().all(|c| matches!(c, '-' | '–' | '—' | '/' | ','))
                    || w[j - 1].1 == "to"
                    || w[j - 1].1 == "until";
                if !sep_ok && !is_month(&w[j - 1].1) {
                    break;
                }
                if let Some(y) = year(&w[j].1) {
                    end = Some((j, y));
                    break;
                }
                if is_now(&w[j].1) {
                    end = Some((j, now));
                    break;
                }
            }
            let Some((j, to)) = end else {
                k += 1;
                continue;
            };
            if to < from || to - from > 60 {
                k = j + 1;
                continue;
            }
            // The role: the line without the dates, their months and brackets.
            let mut s = w[k].0 .0;
            if k > 0 && is_month(&w[k - 1].1) {
                s = w[k - 1].0 .0;
            }
            let title = format!("{} {}", &line[..s], &line[w[j].0 .1..]);
            out.push(DatedRole {
                line: (ls, le),
                title: clean_title(&title),
                from,
                to,
                years: if to == from { 0.5 } else { (to - from) as f32 },
            });
            break;
        }
    }
    out
}

/// Years the roles cover together (a year two roles share counts once).
pub fn total_years(roles: &[DatedRole]) -> f32 {
    let mut spans: Vec<(u16, u16)> = roles.iter().map(|r| (r.from, r.to)).collect();
    spans.sort_unstable();
    let mut total = 0.0;
    let mut cur: Option<(u16, u16)> = None;
    for (a, b) in spans {
        match cur {
            Some((ca, cb)) if a <= cb => cur = Some((ca, cb.max(b))),
            Some((ca, cb)) => {
                total += span_years(ca, cb);
                cur = Some((a, b));
            }
            None => cur = Some((a, b)),
        }
    }
    if let Some((a, b)) = cur {
        total += span_years(a, b);
    }
    total
}

fn span_years(a: u16, b: u16) -> f32 {
    if a == b {
        0.5
    } else {
        (b - a) as f32
    }
}

/// The latest plausible year a text names (for "present").
pub fn latest_year(text: &str) -> Option<u16> {
    lines(text)
        .flat_map(|(s, e)| words(&text[s..e]))
        .filter_map(|(_, w)| year(&w))
        .max()
}

/// Degrees a text names: (level, byte range of the words).
pub fn degrees(text: &str) -> Vec<(Degree, Range)> {
    let mut out = Vec::new();
    for (ls, le) in lines(text) {
        let line = &text[ls..le];
        let w = words(line);
        for k in 0..w.len() {
            let word = w[k].1.trim_end_matches(['\'', '’']).trim_end_matches("'s");
            let next = w.get(k + 1).map(|x| x.1.as_str()).unwrap_or("");
            let degree = match word {
                "phd" | "ph.d" | "doctorate" | "doctoral" | "dphil" => Some(Degree::Doctorate),
                // "Scrum Master" is no degree: bare "master" only before "degree", "of", "in".
                "master" | "masters" if !matches!(next, "degree" | "degrees" | "of" | "in") => None,
                "master" | "master's" | "masters" | "master’s" | "msc" | "m.sc" | "mba" | "m.s"
                | "m.a" | "meng" | "m.eng" => Some(Degree::Master),
                "bachelor" | "bachelor's" | "bachelors" | "bachelor’s" | "bsc" | "b.sc" | "b.s"
                | "b.a" | "beng" | "b.eng" | "ba" | "bs" => Some(Degree::Bachelor),
                "undergraduate" if next.starts_with("degree") => Some(Degree::Bachelor),
                "associate" | "associate's" | "associates" if next.starts_with("degree") => {
                    Some(Degree::Associate)
                }
                "high" if next == "school" => Some(Degree::HighSchool),
                "ged" => Some(Degree::HighSchool),
                _ => None,
            };
            // "BA"/"BS" only as written in capitals (not "ba" in other words).
            let written = &line[w[k].0 .0..w[k].0 .1];
            if matches!(word, "ba" | "bs") && written != "BA" && written != "BS" {
                continue;
            }
            if let Some(d) = degree {
                out.push((d, (ls + w[k].0 .0, ls + w[k].0 .1)));
            }
        }
    }
    out
}

/// The post's title: the line under a "Job title"/"Title"/"Position"
/// heading, or after "Job title:" on its line, else a short first line.
pub fn job_title(text: &str) -> Option<Range> {
    let all: Vec<Range> = lines(text).collect();
    for (k, &(s, e)) in all.iter().enumerate() {
        let line = text[s..e].trim_start_matches('#').trim();
        let lower = line.to_lowercase();
        for key in ["job title", "position title", "title", "position", "role"] {
            let Some(rest) = lower.strip_prefix(key) else {
                continue;
            };
            let rest = rest.trim_start();
            if rest.is_empty() {
                if let Some(&(ns, ne)) = all.get(k + 1) {
                    if text[ns..ne].split_whitespace().count() <= 10 {
                        return Some((ns, ne));
                    }
                }
            } else if let Some(value) = rest.strip_prefix(':') {
                if !value.trim().is_empty() {
                    let off = e - value.trim_start().len();
                    return Some((off, e));
                }
            }
        }
    }
    let &(s, e) = all.first()?;
    let first = text[s..e].trim_start_matches('#').trim();
    let n_words = first.split_whitespace().count();
    (n_words > 0 && n_words <= 10 && !first.ends_with('.')).then(|| (e - first.len(), e))
}

/// What separates the entries of a list line (each one byte wide).
const SEPARATORS: [char; 3] = [',', ';', '|'];

/// Headings whose text after the colon is a list of skills.
const LIST_HEADS: &[&str] = &[
    "skills", "skill", "technical skills", "soft skills", "key skills", "core skills",
    "competencies", "core competencies", "tools", "technologies", "tech stack", "stack",
    "languages", "expertise", "proficiencies", "certifications", "software",
];

/// The items of the text's lists: entries of a list line ("1. Audio
/// Visual", "- Kubernetes"), of a comma-separated line ("Skills: Python,
/// SQL, Excel") and the name before a colon in "Networking: TCP/IP
/// skills…" — each of one to four words, as a byte range of the text.
/// Highlighters miss bare items like these; they carry a résumé's skills.
pub fn list_items(text: &str) -> Vec<Range> {
    let mut out = Vec::new();
    for (ls, le) in lines(text) {
        let line = &text[ls..le];
        // A heading, or a role with its dates ("Data Engineer, Acme, 2019 – present").
        if line.starts_with('#') || words(line).iter().any(|(_, w)| year(w).is_some()) {
            continue;
        }
        let body = line.trim_start_matches(|c: char| {
            c.is_ascii_digit() || matches!(c, '.' | ')' | '-' | '*' | '•' | '·' | '–' | ' ' | '\t')
        });
        let marked = body.len() < line.len();
        let off = ls + (line.len() - body.len());
        let body = body.trim_end_matches(['.', ';', ' ']);
        let (head, rest) = match body.split_once(':') {
            Some((h, r)) => (h.trim(), Some(r)),
            None => (body, None),
        };
        let words = |s: &str| s.split_whitespace().count();
        let mut push = |piece: &str, at: usize| {
            let t = piece.trim().trim_end_matches(['.', ';']);
            let n = words(t);
            let plain = !t.contains('@') && !t.contains("http") && t.chars().any(char::is_alphabetic);
            if (1..=4).contains(&n) && plain {
                let start = at + (piece.len() - piece.trim_start().len());
                out.push((start, start + t.len()));
            }
        };
        match rest {
            Some(r) if LIST_HEADS.contains(&head.to_lowercase().as_str()) => {
                let mut pos = off + body.find(':').unwrap_or(0) + 1;
                for piece in r.split(SEPARATORS) {
                    push(piece, pos);
                    pos += piece.len() + 1;
                }
            }
            // "Networking: TCP/IP networking skills…": the name of the entry.
            Some(_) if marked && (1..=4).contains(&words(head)) => push(head, off),
            Some(_) => {}
            // A line of short comma-separated entries, not a sentence with commas.
            None if body.contains(',') && body.split(SEPARATORS).all(|p| words(p) <= 4) => {
                let mut pos = off;
                for piece in body.split(SEPARATORS) {
                    push(piece, pos);
                    pos += piece.len() + 1;
                }
            }
            None if marked => push(body, off),
            None => {}
        }
    }
    out
}

/// The role of a role line without its employer or place: the part before
/// ", ", " at ", " - ", " | " ("Data Engineer, Acme" → "Data Engineer").
pub fn role_name(s: &str) -> &str {
    let cut = [", ", " at ", " @ ", " - ", " – ", " — ", " | "]
        .iter()
        .filter_map(|sep| s.find(sep))
        .min()
        .unwrap_or(s.len());
    let head = s[..cut].trim();
    if head.is_empty() {
        s
    } else {
        head
    }
}

/// Words that say how much or how, not what: dropped from a years
/// requirement before its role is compared ("at least 4 years of
/// experience as a data engineer" → "data engineer").
const FILLER: &[&str] = &[
    "a", "an", "the", "of", "as", "in", "with", "at", "least", "minimum", "min", "more", "or",
    "and", "than", "over", "plus", "experience", "experienced", "professional", "relevant",
    "proven", "previous", "prior", "working", "work", "worked", "has", "have", "having", "had",
    "spent", "you", "your", "we", "our", "must", "should", "required", "requires", "preferred",
    "ideally", "is", "are", "be", "been", "for", "to", "on", "hands", "practical", "solid",
    "strong", "total", "holds", "hold", "role", "roles", "position", "field", "industry",
    "year", "years", "yrs", "yr",
];

/// `s` without [`FILLER`] words and list markers; `s` itself when nothing
/// else is left.
pub fn content_words(s: &str) -> String {
    let kept: Vec<&str> = s
        .split(|c: char| !(c.is_alphanumeric() || matches!(c, '+' | '#' | '/' | '-' | '.')))
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty() && !w.bytes().all(|b| b.is_ascii_digit()))
        .filter(|w| !FILLER.contains(&w.to_lowercase().as_str()))
        .collect();
    if kept.is_empty() {
        clean_title(s)
    } else {
        kept.join(" ")
    }
}

/// A role or title line as words: list markers, brackets, dashes and
/// extra spaces removed.
pub fn clean_title(s: &str) -> String {
    let s = s.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | ')' | ' '));
    let s: String = s
        .chars()
        .map(|c| {
            if matches!(c, '(' | ')' | '[' | ']' | '|' | '•' | '*' | '#') {
                ' '
            } else {
                c
            }
        })
        .collect();
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| matches!(c, '-' | '–' | '—' | ',' | ':' | ' '))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_of_experience() {
        let t = "## Required Experience\n1. Has spent at least 4 years working as a Junior Systems Admin.\n\
                 5+ yrs of Python\nThree years in sales. Aged 30 years old.\n3 - 5 years of SQL";
        let y: Vec<(f32, String)> = years_statements(t)
            .into_iter()
            .map(|s| (s.years, s.context))
            .collect();
        assert_eq!(
            y,
            [
                (4.0, "Has spent at least working as a Junior Systems Admin.".into()),
                (5.0, "of Python".into()),
                (3.0, "in sales. Aged 30 years old.".into()),
                (3.0, "of SQL".into()),
            ]
        );
    }

    #[test]
    fn roles_with_dates() {
        let t = "## Experience\n1. Junior Systems Admin/Engineer (2019 - 2023)\n\
                 2. Analyst, Acme — Jan 2015 to Mar 2019\nData lead 2021–present\nBorn 1990";
        let r = dated_roles(t, 2024);
        let got: Vec<(&str, u16, u16)> = r.iter().map(|r| (r.title.as_str(), r.from, r.to)).collect();
        assert_eq!(
            got,
            [
                ("Junior Systems Admin/Engineer", 2019, 2023),
                ("Analyst, Acme", 2015, 2019),
                ("Data lead", 2021, 2024),
            ]
        );
        // 2015–2019, 2019–2024 overlap at 2019: 9 years.
        assert_eq!(total_years(&r), 9.0);
        assert_eq!(latest_year(t), Some(2023));
    }

    #[test]
    fn degree_levels() {
        let t = "Bachelor's degree in Computer Engineering required; MSc preferred.\nPhD. BA in Art. The ba is here. High school diploma\nScrum Master, Master of Science";
        let d: Vec<Degree> = degrees(t).into_iter().map(|d| d.0).collect();
        assert_eq!(
            d,
            [
                Degree::Bachelor,
                Degree::Master,
                Degree::Doctorate,
                Degree::Bachelor,
                Degree::HighSchool,
                Degree::Master
            ]
        );
    }

    #[test]
    fn items_of_lists() {
        let t = "## Skills\n1. Analysis\n2. Audio Visual\n- Kubernetes.\nSkills: Python, SQL , Microsoft Excel\n\
                 5. Networking: TCP/IP networking skills and LAN/WAN operation.\n\
                 We build data pipelines in Python, and we like it a lot, really.\n\
                 Name: Jane Doe\nEmail: jane@example.com\n3. Led a team of five engineers across three sites\n\
                 Data Engineer, Acme Analytics, 2019 – present";
        let got: Vec<&str> = list_items(t).into_iter().map(|(s, e)| &t[s..e]).collect();
        assert_eq!(
            got,
            [
                "Analysis",
                "Audio Visual",
                "Kubernetes",
                "Python",
                "SQL",
                "Microsoft Excel",
                "Networking",
            ]
        );
    }

    #[test]
    fn title_lines() {
        let t = "\n\n## Job title\nJunior Systems Admin/Engineer\n\n## Job Summary\nWe are hiring.";
        let (s, e) = job_title(t).unwrap();
        assert_eq!(&t[s..e], "Junior Systems Admin/Engineer");
        let t = "Job title: Data Engineer\nWe build pipelines.";
        let (s, e) = job_title(t).unwrap();
        assert_eq!(&t[s..e], "Data Engineer");
        let t = "Senior Rust Developer\nWe build pipelines.";
        let (s, e) = job_title(t).unwrap();
        assert_eq!(&t[s..e], "Senior Rust Developer");
        assert_eq!(job_title("We build pipelines in Rust and we like it."), None);
        assert_eq!(clean_title("2. SOC Analyst - ( ) "), "SOC Analyst");
        assert_eq!(
            content_words("1. Has spent at least working as a Junior Systems Admin/Engineer."),
            "Junior Systems Admin/Engineer"
        );
        assert_eq!(content_words("of experience"), "of experience");
        assert_eq!(role_name("SOC Analyst - SecureWorks, RI"), "SOC Analyst");
        assert_eq!(role_name("Data Engineer at Acme"), "Data Engineer");
    }
}
