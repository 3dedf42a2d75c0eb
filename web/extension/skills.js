// The post's skills from the skill lists of its parts (as the web app
// merges streamed batches): counts add up, the best score wins, a skill is
// implicit only if implicit everywhere; explicit first, then by count and
// score. Shared by the engine host and the content script.
/* exported mergeSkills */
function mergeSkills(lists) {
  const by = new Map();
  for (const list of lists) {
    for (const s of list) {
      const have = by.get(s.uri);
      if (!have) by.set(s.uri, { ...s });
      else {
        have.count += s.count;
        have.bestScore = Math.max(have.bestScore, s.bestScore);
        have.implicit = have.implicit && s.implicit;
      }
    }
  }
  return [...by.values()].sort(
    (a, b) => a.implicit - b.implicit || b.count - a.count || b.bestScore - a.bestScore,
  );
}
