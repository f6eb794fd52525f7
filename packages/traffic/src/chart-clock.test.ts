import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forecastChartSpec, renderChartSvg } from './plots';
import { expectCode } from './test-helpers';

// Found in session 25: the forecast chart drew ISO times on the clock of the machine that rendered it
// (vega's local time): a server in Tokyo put 06:00 UTC at '03 PM', under an axis titled 'time', so the
// demo's report and serve page showed times in a zone they did not name.

const times = Array.from({ length: 24 }, (_, i) => new Date(Date.UTC(2026, 0, 5, 6) + i * 300_000).toISOString());
const input = { sensor: 'A', times, actual: times.map((_, i) => 50 + i), forecast: times.map((_, i) => 51 + i), alerts: [times[3]!] };
const texts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

let zone: string | undefined;
beforeEach(() => {
  zone = process.env.TZ;
  process.env.TZ = 'Asia/Tokyo'; // the renderer's own clock, 9 hours ahead of UTC
});
afterEach(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe("the forecast chart's time axis says its clock", () => {
  it('ISO times are drawn in UTC by default, named in the axis title, not on the local clock of the renderer', async () => {
    expect(new Date(times[0]!).getHours()).toBe(15); // the renderer's clock is Tokyo's
    const labels = texts(await renderChartSvg(forecastChartSpec(input)));
    expect(labels).toContain('time (UTC)');
    expect(labels.slice(0, 3)).toEqual(['06:00', '06:05', '06:10']);
    expect(labels).not.toContain('15:00');
  });

  it("with timeZone, on that zone's wall clock (06:00 UTC is 22:00 the day before in Los Angeles)", async () => {
    const spec = forecastChartSpec({ ...input, timeZone: 'America/Los_Angeles' });
    const labels = texts(await renderChartSvg(spec));
    expect(labels).toContain('time (America/Los_Angeles)');
    expect(labels.slice(0, 3)).toEqual(['22:00', '22:05', '22:10']);
    // The alert's rule sits at its reading's instant (points are drawn at instants, labelled on the zone's clock).
    const layers = spec.layer as { data?: { values: { time: number }[] } }[];
    expect(new Date(layers[1]!.data!.values[0]!.time).toISOString()).toBe(times[3]);
    // Times without an offset are wall-clock times on that clock, as everywhere in the SDK: 22:00 there is 06:00 UTC.
    const wall = forecastChartSpec({
      ...input,
      times: ['2026-01-04T22:00:00'],
      actual: [50],
      forecast: [51],
      alerts: [],
      timeZone: 'America/Los_Angeles',
    });
    expect((wall.data as { values: { time: number }[] }).values[0]!.time).toBe(Date.UTC(2026, 0, 5, 6));
  });

  it('an empty time text is left out; an unknown zone is E_INPUT_INVALID; step numbers stay steps', async () => {
    const spec = forecastChartSpec({ ...input, times: ['', times[1]!], actual: [50, 51], forecast: [NaN, 52], alerts: [''] });
    expect((spec.data as { values: unknown[] }).values).toHaveLength(2);
    expect(spec.layer as unknown[]).toHaveLength(1);
    await expectCode(() => forecastChartSpec({ ...input, timeZone: 'Mars/Base' }), 'E_INPUT_INVALID');
    const steps = forecastChartSpec({ sensor: 'A', times: [0, 1], actual: [50, 51], forecast: [49, 52] });
    expect(JSON.stringify(steps.layer)).toContain('"title":"step"');
  });
});

// Found in session 30: the ticks were on a 12-hour clock without AM or PM between the hours ('02:30 02:45 03 PM')
// on a page saying its times are UTC: an afternoon read as the small hours. Now 24-hour, the days named.
describe("the forecast chart's time axis is on a 24-hour clock", () => {
  it('afternoon quarter hours read 14:30, 14:45, 15:00, and a day crossed is named', async () => {
    const afternoon = Array.from({ length: 12 }, (_, i) => new Date(Date.UTC(2026, 0, 5, 14, 30) + i * 300_000).toISOString());
    const labels = texts(
      await renderChartSvg(
        forecastChartSpec({ ...input, times: afternoon, actual: afternoon.map(() => 50), forecast: afternoon.map(() => 51), alerts: [] }),
      ),
    );
    expect(labels).toEqual(expect.arrayContaining(['14:30', '14:45', '15:00', '15:15']));
    expect(labels.filter((l) => /AM|PM|^0[1-3]:\d\d$/.test(l))).toEqual([]);
    // Across midnight: the hours on either side and the new day's date between them.
    const night = Array.from({ length: 72 }, (_, i) => new Date(Date.UTC(2026, 0, 5, 21) + i * 300_000).toISOString());
    const crossing = texts(
      await renderChartSvg(
        forecastChartSpec({ ...input, times: night, actual: night.map(() => 50), forecast: night.map(() => 51), alerts: [] }),
      ),
    );
    expect(crossing).toEqual(expect.arrayContaining(['22:00', '23:00', 'Jan 06', '01:00', '02:00']));
  });
});
