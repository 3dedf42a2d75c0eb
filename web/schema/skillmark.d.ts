// The wire schema of skillmark, generated from crates/schema by
// crates/schema/tests/typescript.rs: do not edit by hand.

export type Category = "technology" | "technical" | "business" | "soft";

export type LinkMode = "text" | "context" | "both";

export type SpanKind = "skill" | "knowledge" | "implicit";

export type HighlightOptions = { 
/**
 * Links scoring below this are dropped.
 */
minScore: number, 
/**
 * Links per span, the linked skill and its runner-ups.
 */
topK: number, 
/**
 * Also report skills of a segment that no span names.
 */
implicit: boolean, 
/**
 * Threshold for implicit skills (sentence-level scores run higher than span scores).
 */
implicitMinScore: number, 
/**
 * What stands for a span when it is linked.
 */
link: LinkMode, 
/**
 * Weight of the span text's vector in [`LinkMode::Both`]; the in-context
 * vector gets `1 - text_weight`.
 */
textWeight: number, 
/**
 * Raises the score of every skill a span (for implicit skills: the
 * segment) names by an ESCO label by this share of its distance to 1
 * (`s + b·(1 − s)`: scores stay in [0, 1]); `None` takes the bundle's
 * `ranking.lexical_bonus` (0 = dense scores only).
 */
lexicalBonus: number | null, 
/**
 * Also mark words that spell an ESCO label verbatim ("Python", "SQL",
 * "project management") where the tagger found no span, linked to that
 * skill (`HighlightSpan::label_match`).
 */
lexicalSpans: boolean, };

export type Segment = { start: number, end: number, };

export type SkillLink = { uri: string, label: string, 
/**
 * In [0, 1]: the cosine of the span's vector and the skill's (0 when
 * negative), raised by the lexical bonus where the text names the skill.
 */
score: number, category: Category, };

export type HighlightSpan = { start: number, end: number, startChar: number, endChar: number, startUtf16: number, endUtf16: number, text: string, kind: SpanKind, confidence: number, 
/**
 * The span spells an ESCO label word for word and its first link is
 * that skill, listed whatever its score.
 */
labelMatch: boolean, links: Array<SkillLink>, };

export type DocumentSkill = { uri: string, label: string, description: string, category: Category, 
/**
 * ESCO's skill type ("skill/competence", "knowledge", …).
 */
skillType: string, count: number, bestScore: number, implicit: boolean, };

export type Highlights = { spans: Array<HighlightSpan>, skills: Array<DocumentSkill>, segments: number, };

export type RankedSkill = { uri: string, label: string, score: number, };

export type TaggedText = { 
/**
 * The text the offsets refer to (for HTML input: the text extracted from it).
 */
text: string, 
/**
 * Whether the input was read as HTML.
 */
html: boolean, spans: Array<HighlightSpan>, skills: Array<DocumentSkill>, segments: number, };

export type RankedText = { text: string, skills: Array<RankedSkill>, };

export type OccupationOptions = { 
/**
 * Suggestions returned, best first.
 */
topK: number, 
/**
 * The text is a job title, not a document: its own vector and the
 * skills it implies decide (no highlighting).
 */
title: boolean, 
/**
 * Skills listed per suggestion in `supporting` and `missingEssential`.
 */
maxSkills: number, };

export type OccupationSkillRef = { uri: string, label: string, 
/**
 * Essential to the occupation in ESCO (else optional).
 */
essential: boolean, };

export type OccupationSuggestion = { uri: string, label: string, 
/**
 * The ISCO-08 unit group, e.g. "2512".
 */
iscoGroup: string, 
/**
 * In [0, 1]; comparable between the suggestions of one text.
 */
score: number, 
/**
 * The text's skills that the occupation requires (essential or
 * optional), the strongest first.
 */
supporting: Array<OccupationSkillRef>, 
/**
 * The occupation's essential skills the text does not show, the most
 * specific to it first.
 */
missingEssential: Array<OccupationSkillRef>, };

export type OccupationsOfText = { text: string, occupations: Array<OccupationSuggestion>, };

export type CompareOptions = { 
/**
 * Two different skills count as a match when the cosine of their
 * vectors reaches this (`MatchKind::Similar`).
 */
similarMin: number, 
/**
 * Rank the post's ESCO occupations and mark its skills essential or
 * optional for the best one (needs a bundle with occupations; without
 * them every skill is `unlisted`).
 */
occupations: boolean, 
/**
 * Occupations listed in the result.
 */
topOccupations: number, 
/**
 * The year "present" / "now" stands for in date ranges; `None`: the
 * latest year either text names.
 */
currentYear: number | null, };

export type MatchKind = "same" | "narrower" | "broader" | "similar";

export type Requirement = "essential" | "optional" | "unlisted";

export type Degree = "highSchool" | "associate" | "bachelor" | "master" | "doctorate";

export type TextRange = { start: number, end: number, startChar: number, endChar: number, startUtf16: number, endUtf16: number, text: string, };

export type SkillRef = { uri: string, label: string, category: Category, };

export type SkillMatch = { kind: MatchKind, 
/**
 * The résumé's skill (the job skill itself when `kind` is `same`).
 */
skill: SkillRef, 
/**
 * In [0, 1]: how much of the job skill it covers (same and narrower 1,
 * broader 0.6, similar the cosine).
 */
closeness: number, 
/**
 * Indices into `resume.spans` that show it.
 */
resumeSpans: Array<number>, };

export type JobSkill = { skill: SkillRef, requirement: Requirement, 
/**
 * Only implied by the post's sentences (no span names it).
 */
implicit: boolean, 
/**
 * Its weight in the skills score.
 */
weight: number, 
/**
 * Indices into `job.spans` that ask for it.
 */
jobSpans: Array<number>, 
/**
 * `None`: missing from the résumé.
 */
matched: SkillMatch | null, };

export type ExtraSkill = { skill: SkillRef, implicit: boolean, resumeSpans: Array<number>, };

export type YearsRequirement = { years: number, 
/**
 * The sentence that asks.
 */
job: TextRange, 
/**
 * Years the résumé shows for it: the matching role's, or all roles'
 * when no role matches the sentence.
 */
resumeYears: number, 
/**
 * The résumé's role it was matched with (`None`: all roles counted).
 */
resume: TextRange | null, };

export type ExperienceEvidence = { required: Array<YearsRequirement>, 
/**
 * All the résumé's dated roles together (overlaps counted once).
 */
resumeYears: number, 
/**
 * The résumé's dated roles.
 */
roles: Array<TextRange>, };

export type TitleEvidence = { job: TextRange | null, 
/**
 * The résumé's closest role or title line.
 */
resume: TextRange | null, 
/**
 * Cosine of the two.
 */
similarity: number, };

export type EducationEvidence = { required: Degree | null, job: TextRange | null, resumeDegree: Degree | null, resume: TextRange | null, };

export type ScoreParts = { skills: number | null, experience: number | null, title: number | null, education: number | null, };

export type Comparison = { 
/**
 * In [0, 1]: the weighted mean of the parts present.
 */
score: number, parts: ScoreParts, 
/**
 * The post's skills, the most important first; each matched or missing.
 */
skills: Array<JobSkill>, extra: Array<ExtraSkill>, 
/**
 * The post's likely ESCO occupations (empty without occupations).
 */
occupations: Array<OccupationSuggestion>, experience: ExperienceEvidence, title: TitleEvidence, education: EducationEvidence, 
/**
 * The two texts' highlights, which the span indices refer to.
 */
job: Highlights, resume: Highlights, };

export type Attribution = { credit: string, license: string, what: string, };

export type Defaults = { minScore: number, implicitMinScore: number | null, };

export type FromWorker = { "type": "loading", loaded: number, total: number, file: string, } | { "type": "ready", version: string, attribution: Array<Attribution>, ms: number, defaults: Defaults | null, 
/**
 * The engine's matrix kernel (`relaxed-simd` or `simd128`).
 */
kernel: string, } | { "type": "result", id: number, 
/**
 * Byte offset up to which the text is done; `None` for the last batch.
 */
upto: number | null, spans: Array<HighlightSpan>, skills: Array<DocumentSkill>, segments: number, total: number, } | { "type": "done", id: number, ms: number, segments: number, 
/**
 * Workers that ran it: 2 when the span tagger ran beside the encoder.
 */
workers: number, } | { "type": "compared", id: number, comparison: Comparison, ms: number, } | { "type": "extracted", id: number, text: string, format: string, warnings: Array<string>, } | { "type": "error", id: number | null, message: string, };
