import { CostEstimate, CostLine, CostUnit, ScaleEstimate, WorkshopShare } from "./estimate";
import { HOURS_PER_MONTH } from "./prices";

/** "$1,234.50" or "5,840 SU" (decimals only when there are any). */
export function formatAmount(amount: number, unit: CostUnit): string {
    if (unit === "USD") return `$${amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    return `${amount.toLocaleString("en-US", { maximumFractionDigits: 2 })} SU`;
}

function basis(line: CostLine): string {
    const count = line.sizeGb === undefined ? `${line.quantity}` : `${line.quantity} × ${line.sizeGb} GB`;
    if (line.rate === 0) return `${count}, not charged`;
    const rate = line.rate === null ? "no price" : `${line.rate} ${line.rateUnit}`;
    const months = line.hours === HOURS_PER_MONTH ? "1 month" : `${line.hours}/${HOURS_PER_MONTH} month`;
    const time = line.rateUnit.endsWith("-month") ? months : `${line.hours} h`;
    return `${count} × ${rate} × ${time}`;
}

function scaleText(title: string, scale: Pick<ScaleEstimate, "description" | "lines" | "total"> & { complete?: boolean }, unit: CostUnit): string[] {
    const rows = scale.lines.map((l) => [l.item, basis(l), l.amount === null ? "?" : formatAmount(l.amount, unit), l.note ?? ""]);
    const totalText = formatAmount(scale.total, unit) + (scale.complete === false ? " (incomplete: some lines have no price)" : "");
    const itemWidth = Math.max(...rows.map((r) => r[0].length), "Total".length);
    const basisWidth = Math.max(...rows.map((r) => r[1].length));
    const amountWidth = Math.max(...rows.map((r) => r[2].length), formatAmount(scale.total, unit).length);
    const line = (item: string, how: string, amount: string, note: string) =>
        `  ${item.padEnd(itemWidth)}  ${how.padEnd(basisWidth)}  ${amount.padStart(amountWidth)}${note ? `  (${note})` : ""}`.trimEnd();
    return [
        `${title}: ${scale.description}`,
        ...rows.map((r) => line(r[0], r[1], r[2], r[3])),
        line("Total", "", totalText.padStart(amountWidth), ""),
    ];
}

/** "Per workshop (share of the workshop scale, by the memory its servers hold):" then a line per workshop. */
function sharesText(shares: readonly WorkshopShare[], unit: CostUnit): string[] {
    const width = Math.max(...shares.map((s) => s.name.length));
    const amounts = shares.map((s) => formatAmount(s.amount, unit));
    const amountWidth = Math.max(...amounts.map((a) => a.length));
    return [
        "Per workshop (its share of the workshop scale: the memory its servers at once hold at its guarantee):",
        ...shares.map((s, i) => `  ${s.name.padEnd(width)}  ${amounts[i].padStart(amountWidth)}  ${(s.fraction * 100).toFixed(0).padStart(3)}%  (${s.users} accounts, ${s.maxServers} at once at ${s.memoryGuarantee})`),
    ];
}

/** The human view of `esiphub cost`. */
export function formatCost(estimate: CostEstimate): string {
    const lines = [
        `Cost estimate for site "${estimate.site}" (${estimate.cloud})`,
        `Rates: ${estimate.pricing}`,
        "",
        ...scaleText("Development scale", estimate.development, estimate.unit),
        "",
        ...scaleText("Workshop scale", estimate.workshop, estimate.unit),
        ...(estimate.afterDestroy ? ["", ...scaleText("After destroy", estimate.afterDestroy, estimate.unit)] : []),
        ...(estimate.workshops ? ["", ...sharesText(estimate.workshops, estimate.unit)] : []),
    ];
    if (estimate.notes.length > 0) lines.push("", ...estimate.notes.map((n) => `Note: ${n}`));
    return lines.join("\n") + "\n";
}
