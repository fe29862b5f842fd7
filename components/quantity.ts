/** Kubernetes resource quantities ("8G", "8Gi", "512M", "1.5Gi") in bytes; undefined when malformed. */
const UNITS: Record<string, number> = {
    "": 1,
    k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};

export function parseQuantity(text: string): number | undefined {
    const m = /^(\d+(?:\.\d+)?)(k|K|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text.trim());
    if (!m) return undefined;
    return Math.round(Number(m[1]) * UNITS[m[2] ?? ""]);
}

export const GiB = 2 ** 30;
