/**
 * "Did you mean" for mistyped names: the candidate nearest by edit distance, when it is near enough to be a typo.
 * A dozen lines of a textbook algorithm, so no dependency for it.
 */

/**
 * Optimal string alignment distance (Levenshtein plus the swap of two neighbours, the commonest typo):
 * the fewest single-character insertions, deletions, substitutions and adjacent swaps that turn `a` into `b`.
 */
export function editDistance(a: string, b: string): number {
    const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.length][b.length];
}

/**
 * The candidate nearest to `word` (case ignored), or undefined when none is within a third of the word's length
 * (at least 2 edits): "memoryLimt" → "memoryLimit", "esihub" → "esiphub", "colour" → nothing among the settings.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    const limit = Math.max(2, Math.floor(word.length / 3));
    let best: { candidate: string; distance: number } | undefined;
    for (const candidate of candidates) {
        const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
        if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
    }
    return best?.candidate;
}
