// Small statistics and formatting helpers.

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** 12,345 / 1,234 / 123 / 12.3 / 1.23 — throughput with about three significant digits. */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value >= 100) return `${Math.round(value)}×`;
  if (value >= 10) return `${value.toFixed(1)}×`;
  return `${value.toFixed(2)}×`;
}

/** "median (min–max, n=5)". */
export function formatSpread(values: readonly number[]): string {
  if (values.length === 0) return '—';
  const m = formatRate(median(values));
  if (values.length === 1) return `${m} (n=1)`;
  return `${m} (${formatRate(Math.min(...values))}–${formatRate(Math.max(...values))}, n=${values.length})`;
}
