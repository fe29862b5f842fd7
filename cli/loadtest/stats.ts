/** Figures of one phase over all users. */
export interface Figures {
    readonly count: number;
    /** Seconds; null when no user got through the phase. */
    readonly p50: number | null;
    readonly p90: number | null;
    readonly p95: number | null;
    readonly max: number | null;
}

/**
 * Nearest-rank percentile: the smallest value that at least p % of the values do not exceed. Always one of
 * the measured values (no interpolation), so "p95 = 41 s" means a user really waited 41 s.
 */
export function percentile(sortedAscending: readonly number[], p: number): number {
    if (sortedAscending.length === 0) throw new RangeError("percentile of no values");
    if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in (0, 100]`);
    const rank = Math.ceil((p / 100) * sortedAscending.length);
    return sortedAscending[rank - 1];
}

export function figures(values: readonly number[]): Figures {
    if (values.length === 0) return { count: 0, p50: null, p90: null, p95: null, max: null };
    const sorted = [...values].sort((a, b) => a - b);
    return {
        count: sorted.length,
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p95: percentile(sorted, 95),
        max: sorted[sorted.length - 1],
    };
}

/** Seconds with millisecond resolution: what the report keeps. */
export function roundSeconds(seconds: number): number {
    return Math.round(seconds * 1000) / 1000;
}
