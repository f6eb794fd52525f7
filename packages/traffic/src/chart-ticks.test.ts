import { describe, expect, it } from 'vitest';
import { forecastChartSpec, renderChartSvg, type ChartSpec } from './plots';

// Found in review (session 25): with a timeZone the chart's tick labels were on the zone's clock but its
// ticks sat at vega's round UTC times, so India's hourly ticks read '05:30', '06:30' …, Nepal's '05:45' …,
// and a Los Angeles week was ticked at '04 AM' and '04 PM' (midnight and noon UTC), not at its midnights.

const HOUR = 3_600_000;
const texts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

function chart(zone: string, start: number, count: number, stepMs: number, width?: number): ChartSpec {
  const times = Array.from({ length: count }, (_, i) => new Date(start + i * stepMs).toISOString());
  return forecastChartSpec({
    sensor: 'A',
    times,
    actual: times.map((_, i) => 50 + (i % 7)),
    forecast: times.map(() => NaN),
    timeZone: zone,
    ...(width !== undefined ? { width } : {}),
  });
}

/** The explicit tick instants of the chart's time axis (vega's own UTC ticks when there are none). */
function ticks(spec: ChartSpec): number[] {
  const x = (spec.layer as { encoding: { x: { axis?: { values?: number[] } } } }[])[0]!.encoding.x;
  expect(x.axis?.values).toBeDefined();
  return x.axis!.values!;
}

/** An instant's hour and minute on the zone's clock. */
function wall(zone: string, ms: number): { day: number; hour: number; minute: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', day: 'numeric', hour: 'numeric', minute: 'numeric' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, Number(p.value)]),
  );
  return { day: parts.day!, hour: parts.hour!, minute: parts.minute! };
}

describe("the forecast chart's ticks fall on round times of the zone's clock", () => {
  for (const [zone, offset] of [
    ['Asia/Kolkata', '+05:30'],
    ['Asia/Kathmandu', '+05:45'],
    ['Australia/Eucla', '+08:45'],
  ] as const) {
    it(`a day of 5-minute readings in ${zone} (UTC${offset}) is ticked at its whole hours`, async () => {
      const spec = chart(zone, Date.UTC(2026, 0, 5, 0, 0), 288, 300_000);
      const labels = texts(await renderChartSvg(spec));
      expect(labels).toContain('11:00');
      expect(labels.filter((l) => /^\d\d:(15|30|45)$/.test(l))).toEqual([]);
      const at = ticks(spec);
      expect(at.length).toBeGreaterThanOrEqual(20);
      for (const t of at) expect(wall(zone, t).minute).toBe(0);
      for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBe(HOUR);
      // Within the data: the first tick is the first whole local hour after its first reading.
      expect(at[0]! - Date.UTC(2026, 0, 5)).toBeGreaterThanOrEqual(0);
      expect(at[0]! - Date.UTC(2026, 0, 5)).toBeLessThan(HOUR);
    });
  }

  it('a week across the night clocks go back in Los Angeles is ticked at its midnights and noons (a 25-hour day)', async () => {
    const zone = 'America/Los_Angeles';
    const spec = chart(zone, Date.UTC(2026, 9, 31, 0), 7 * 24, HOUR); // 17:00 PDT on 30 Oct, hourly
    const labels = texts(await renderChartSvg(spec));
    expect(labels).toContain('Nov 02');
    expect(labels).toContain('12:00');
    expect(labels).not.toContain('04:00');
    expect(labels).not.toContain('16:00');
    const at = ticks(spec);
    for (const t of at) expect([wall(zone, t).hour, wall(zone, t).minute]).toSatisfy(([h, m]) => (h === 0 || h === 12) && m === 0);
    const midnights = at.filter((t) => wall(zone, t).hour === 0);
    // 1 November 00:00 PDT is 07:00 UTC; 2 November 00:00 PST is 08:00 UTC: 25 hours between them.
    expect(midnights).toContain(Date.UTC(2026, 10, 1, 7));
    expect(midnights).toContain(Date.UTC(2026, 10, 2, 8));
    const gaps = midnights.slice(1).map((t, i) => (t - midnights[i]!) / HOUR);
    expect(gaps).toEqual(gaps.map((_, i) => (midnights[i] === Date.UTC(2026, 10, 1, 7) ? 25 : 24)));
  });

  it('day ticks across the night clocks go forward are local midnights 23 hours apart', () => {
    const zone = 'America/Los_Angeles';
    // 01:00 on 6 March 2026 to 01:00 on 10 March, hourly; a narrow chart (3 ticks' room) ticks days.
    const spec = chart(zone, Date.UTC(2026, 2, 6, 9), 4 * 24, HOUR, 120);
    const at = ticks(spec);
    expect(at.map((t) => wall(zone, t))).toEqual([7, 8, 9, 10].map((day) => ({ day, hour: 0, minute: 0 })));
    // 8 March has 23 hours (02:00 skipped): its midnight is 08:00 UTC, the next one 07:00 UTC.
    expect(at).toEqual([Date.UTC(2026, 2, 7, 8), Date.UTC(2026, 2, 8, 8), Date.UTC(2026, 2, 9, 7), Date.UTC(2026, 2, 10, 7)]);
  });

  it('hourly ticks through the repeated hour tick both passes, and the skipped hour none', () => {
    const zone = 'America/Los_Angeles';
    // 5-minute readings, charts with room for about one tick an hour.
    const back = ticks(chart(zone, Date.UTC(2026, 10, 1, 6), 60, 300_000, 200)); // from 23:00 PDT on 31 October
    expect(back).toEqual([6, 7, 8, 9, 10].map((h) => Date.UTC(2026, 10, 1, h)));
    expect(back.map((t) => wall(zone, t).hour)).toEqual([23, 0, 1, 1, 2]);
    const forward = ticks(chart(zone, Date.UTC(2026, 2, 8, 8), 48, 300_000, 160)); // from 00:00 PST on 8 March
    expect(forward.map((t) => wall(zone, t).hour)).toEqual([0, 1, 3, 4]);
  });

  // Found in review (session 27): where clocks go forward at midnight (00:00 -> 01:00), that midnight reads
  // on no instant, so its day had no tick and the axis never named the date.
  it("a day whose midnight the clocks skip is ticked and labelled at its first instant (Santiago's 6 September, 01:00)", async () => {
    const zone = 'America/Santiago';
    const spec = chart(zone, Date.UTC(2026, 8, 1, 4), 10 * 24, HOUR); // 1 to 10 September, hourly: 12-hour ticks
    const at = ticks(spec);
    // 01:00 -03 on 6 September is 04:00 UTC, 13 hours after 12:00 -04 on the 5th and 11 before its noon.
    expect(at).toContain(Date.UTC(2026, 8, 6, 4));
    expect(at.map((t) => wall(zone, t)).filter(({ day }) => day === 6)).toEqual([
      { day: 6, hour: 1, minute: 0 },
      { day: 6, hour: 12, minute: 0 },
    ]);
    const labels = texts(await renderChartSvg(spec));
    expect(labels).toContain('Sep 06');
    expect(labels).not.toContain('01:00');
    // Weekly ticks are Sundays, and 6 September 2026 is one: Jul to Oct on a narrow chart.
    const weeks = ticks(chart(zone, Date.UTC(2026, 7, 2, 4), 60 * 24, HOUR, 200));
    expect(weeks).toContain(Date.UTC(2026, 8, 6, 4));
    expect(weeks.map((t) => wall(zone, t).hour)).toEqual(weeks.map((t) => (t === Date.UTC(2026, 8, 6, 4) ? 1 : 0)));
  });

  it('day ticks in Havana across 8 March 2026 (00:00 -> 01:00) tick and name that day, and hourly ticks label its 01:00 by the date', async () => {
    const zone = 'America/Havana';
    const spec = chart(zone, Date.UTC(2026, 2, 6, 6), 4 * 24, HOUR, 120); // 01:00 on 6 March to 01:00 on 10 March
    const at = ticks(spec);
    expect(at).toEqual([Date.UTC(2026, 2, 7, 5), Date.UTC(2026, 2, 8, 5), Date.UTC(2026, 2, 9, 4), Date.UTC(2026, 2, 10, 4)]);
    expect(at.map((t) => wall(zone, t).hour)).toEqual([0, 1, 0, 0]);
    const labels = texts(await renderChartSvg(spec));
    for (const day of ['Mar 07', 'Mar 08', 'Mar 09', 'Mar 10']) expect(labels).toContain(day);
    // Hourly: 23:00 on the 7th, then 01:00 on the 8th (one hour later), labelled as the day, as vega's local time does.
    const hourly = chart(zone, Date.UTC(2026, 2, 8, 2), 48, 300_000, 160); // from 21:00 -05 on 7 March
    expect(ticks(hourly).map((t) => wall(zone, t).hour)).toEqual([21, 22, 23, 1]);
    const hourLabels = texts(await renderChartSvg(hourly));
    expect(hourLabels).toContain('Mar 08');
    expect(hourLabels).not.toContain('01:00');
    // A chart starting at that first instant labels it as the day too.
    const fromFirst = chart(zone, Date.UTC(2026, 2, 8, 5), 36, 300_000, 160);
    expect(ticks(fromFirst)[0]).toBe(Date.UTC(2026, 2, 8, 5));
    expect(texts(await renderChartSvg(fromFirst))).toContain('Mar 08');
  });

  it('without a zone, vega keeps its own UTC ticks', () => {
    const times = Array.from({ length: 12 }, (_, i) => new Date(Date.UTC(2026, 0, 5, 6) + i * 300_000).toISOString());
    const spec = forecastChartSpec({ sensor: 'A', times, actual: times.map(() => 50), forecast: times.map(() => NaN) });
    expect(JSON.stringify(spec.layer)).not.toContain('"values"');
  });
});
