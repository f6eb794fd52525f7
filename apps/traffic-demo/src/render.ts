import Table from 'cli-table3';
import { LOS_LOOP_PUBLISHED, type PublishedRow } from '@appliedml/traffic';
import type { ModelResult } from './experiment';

export const MODEL_LABELS: Record<string, string> = {
  'last-value': 'persistence (last value)',
  'window-mean': 'window mean (12 steps)',
  'historical-average': 'historical average (time of day × weekday/weekend)',
  'seasonal-naive': 'seasonal naive (same time yesterday)',
  ridge: 'graph ridge (SDK default: window, neighbours, historical average)',
  gru: 'GRU over all sensors (SDK)',
  lstm: 'LSTM over all sensors (SDK)',
  tgcn: 'T-GCN-style graph model (SDK)',
};

const f = (v: number, digits = 3): string => v.toFixed(digits);

/** A result's row name: its own label, else the model's. */
export function modelLabel(r: Pick<ModelResult, 'model' | 'label'>): string {
  return r.label ?? MODEL_LABELS[r.model] ?? r.model;
}

/** The per-horizon table: one row per model, RMSE / MAE for each horizon, then the published rows. */
export function horizonTable(
  results: ModelResult[],
  published: readonly PublishedRow[] = LOS_LOOP_PUBLISHED,
  withPublished = true,
): string {
  const minutes = results[0]?.horizons.map((h) => h.minutes) ?? [];
  // Accuracy at the first horizon (15 min at 5-min steps, 45 min at 15-min steps).
  const accuracy = minutes.length > 0 ? `acc @${minutes[0]} min` : 'acc';
  const table = new Table({ head: ['model', ...minutes.map((m) => `${m} min RMSE / MAE`), accuracy], style: { head: [], border: [] } });
  for (const r of results) {
    table.push([modelLabel(r), ...r.horizons.map((h) => `${f(h.rmse)} / ${f(h.mae)}`), f(r.horizons[0]?.accuracy ?? NaN, 4)]);
  }
  if (withPublished) {
    for (const name of ['T-GCN', 'GRU']) {
      const rows = minutes.map((m) => published.find((p) => p.model === name && p.minutes === m));
      table.push([
        `${name} paper (published${name === 'T-GCN' ? '; 15 min confirmed' : ', unconfirmed'})`,
        ...rows.map((p) => (p ? `${f(p.rmse, 4)} / ${f(p.mae, 4)}${p.confirmed ? '' : '*'}` : '–')),
        rows[0] ? f(rows[0].accuracy, 4) : '–',
      ]);
    }
  }
  return table.toString();
}

export function forecastTable(sensors: string[], steps: { minutes: number; values: number[] }[], limit = 10): string {
  const table = new Table({ head: ['sensor', ...steps.map((s) => `+${s.minutes} min`)], style: { head: [], border: [] } });
  sensors.slice(0, limit).forEach((id, i) => table.push([id, ...steps.map((s) => f(s.values[i] ?? NaN, 1))]));
  return table.toString();
}

/**
 * An instant (ISO, UTC) as the wall-clock time of `timeZone` (UTC without one), in the form the report and
 * the serve page show under a heading that names the zone: `2026-01-05 08:35:00`, with the UTC offset when
 * the zone has one (`2026-01-05 08:35:00 UTC-08:00`; the hour repeated when clocks go back reads two ways
 * without it). '' for a missing time.
 */
export function wallTime(iso: string | null | undefined, timeZone: string | undefined): string {
  if (!iso || !Number.isFinite(Date.parse(iso))) return '';
  if (timeZone === undefined) return iso.slice(0, 19).replace('T', ' ');
  const full = clockTime(iso, timeZone); // '2026-01-05 08:35:00 America/Los_Angeles (UTC-08:00)'
  return `${full.slice(0, 19)} ${full.slice(full.lastIndexOf('(') + 1, -1)}`;
}

/**
 * An instant (ISO, UTC) on a model's clock: `2026-01-05 08:00:00 America/Los_Angeles (UTC-08:00)`; the ISO
 * time itself for a model without a time zone (its times are UTC fields).
 */
export function clockTime(iso: string, timeZone: string | undefined): string {
  if (timeZone === undefined) return iso;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  // 'GMT-08:00', or 'GMT' for a zone at UTC.
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : String(parts.timeZoneName).replace(/^GMT/, '');
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${timeZone} (UTC${offset})`;
}
