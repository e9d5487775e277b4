/**
 * Edit distance for "did you mean" hints: insertions, deletions, substitutions and swaps of two
 * neighbouring letters (a common typo: "wbe" for "web") each count one.
 */
export function distance(a: string, b: string): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], prev2[j - 2] + 1);
    }
    [prev2, prev] = [prev, row];
  }
  return prev[b.length];
}

/** The candidate nearest to `word`, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  // Short words get one edit (so "ab" does not suggest "id"), longer ones a third of their length.
  const allowed = word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 3));
  if (best !== undefined && bestD <= allowed) return best;
  // Else a shortened or lengthened word: "install" for "installation", "postgresql" for "postgres".
  const w = word.toLowerCase();
  const longer = candidates.filter((c) => w.length >= 3 && c.toLowerCase().startsWith(w));
  if (longer.length === 1) return longer[0];
  const shorter = candidates.filter((c) => c.length >= 3 && w.startsWith(c.toLowerCase()));
  return longer.length === 0 && shorter.length === 1 ? shorter[0] : undefined;
}
