import type { DemoData } from './data';

// What the report and the serve page call the clock their times are on. A model's --time-zone names it. A
// file read without one keeps the times it gives without a UTC offset as written, in UTC fields (the SDK's
// rule; one with an offset is turned into UTC): those are the file's own local clock, whatever it was, and
// calling them 'UTC' misled. The built-in sources (Los-loop, synthetic) have UTC times.

/** Whether the times shown are a file's own clock read as UTC fields (a file read without --time-zone). */
export function fileClock(data: Pick<DemoData, 'name' | 'series'>): boolean {
  return data.name === 'file' && data.series.timeZone === undefined;
}

/** The clock named in headings and the charts' axis: 'America/Los_Angeles', 'UTC', or "the file's clock, read as UTC". */
export function clockLabel(timeZone: string | undefined, fromFile: boolean): string {
  if (timeZone !== undefined) return timeZone;
  return fromFile ? "the file's clock, read as UTC" : 'UTC';
}

/** The sentence saying which clock the times are on, for data with a clock but no --time-zone. */
export function utcClockSentence(fromFile: boolean): string {
  if (!fromFile) return 'Times are UTC time.';
  return "Times are the file's own clock, as it writes them: no --time-zone was given, so a time without a UTC offset was read as UTC (one with an offset was turned into UTC). Pass --time-zone at train to name the clock.";
}

/** A forecast chart spec with its time axis titled `time (<clock>)` (the SDK names only a zone, or UTC). */
export function titleTimeAxis<T extends Record<string, unknown>>(spec: T, clock: string): T {
  const layers = spec.layer as { encoding?: { x?: { type?: string; title?: unknown } } }[] | undefined;
  for (const layer of layers ?? []) {
    const x = layer.encoding?.x;
    if (x?.type === 'temporal') x.title = `time (${clock})`;
  }
  return spec;
}
