import { describe, expect, it } from 'vitest';
import { forecastChartSpec, renderChartSvg } from './plots';
import { expectCode } from './test-helpers';

// Found in review (r4, session 25): with a timeZone, forecastChartSpec drew each instant at its wall-clock
// time, so on the night clocks go back (Los Angeles, 1 Nov 2026: 01:00-01:59 twice) the two passes of the
// repeated hour shared their x and a steadily rising series was drawn as a sawtooth. And times the chart
// could not place were left out without a word: epoch-ms alerts beside ISO times, and a whole MM/DD list
// (an empty chart).

const t0 = Date.UTC(2026, 10, 1, 6, 0); // 23:00 PDT on 31 Oct
const times = Array.from({ length: 60 }, (_, k) => new Date(t0 + k * 300_000).toISOString());
const rising = times.map((_, k) => 10 + k);
const texts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

/** The vertices of the first line mark drawn, in order. */
function linePoints(svg: string): [number, number][] {
  const d =
    /aria-roledescription="line mark"[^>]*d="([^"]+)"/.exec(svg)?.[1] ??
    /<path[^>]*d="(M[^"]+)"[^>]*aria-roledescription="line mark"/.exec(svg)?.[1];
  expect(d).toBeDefined();
  return [...d!.matchAll(/(-?[0-9.]+),(-?[0-9.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

describe('the forecast chart across a clock change', () => {
  it('draws a rising series rising through the hour repeated when clocks go back, ticks labelled on the zone clock', async () => {
    const spec = forecastChartSpec({
      sensor: 'S1',
      times,
      actual: rising,
      forecast: rising.map(() => NaN),
      timeZone: 'America/Los_Angeles',
    });
    const xs = (spec.data as { values: { time: number }[] }).values.map((r) => r.time);
    expect(new Set(xs).size).toBe(60); // every instant its own x
    const svg = await renderChartSvg(spec);
    const points = linePoints(svg);
    expect(points).toHaveLength(60);
    for (let i = 1; i < points.length; i++) {
      expect(points[i]![0]).toBeGreaterThan(points[i - 1]![0]);
      expect(points[i]![1]).toBeLessThan(points[i - 1]![1]); // SVG y grows downwards: rising speed, falling y
    }
    const labels = texts(svg);
    expect(labels).toContain('time (America/Los_Angeles)');
    // 06:00 UTC is 23:00 PDT; 08:00 and 09:00 UTC are both 01 AM (PDT, then PST); 10:00 UTC is 02 AM PST.
    expect(labels.filter((l) => l === '01:00')).toHaveLength(2);
    expect(labels).toContain('23:00');
    expect(labels).toContain('02:00');
  });

  it('spring forward: the skipped hour is no gap in the line and ticks read 01 AM then 03 AM', async () => {
    const start = Date.UTC(2026, 2, 8, 8, 0); // 00:00 PST on 8 March
    const spring = Array.from({ length: 48 }, (_, k) => new Date(start + k * 300_000).toISOString());
    const spec = forecastChartSpec({
      sensor: 'S1',
      times: spring,
      actual: spring.map((_, k) => k),
      forecast: spring.map(() => NaN),
      timeZone: 'America/Los_Angeles',
    });
    const labels = texts(await renderChartSvg(spec));
    expect(labels).toContain('01:00');
    expect(labels).toContain('03:00');
    expect(labels).not.toContain('02:00');
  });
});

describe('times the chart cannot place are refused, not left out', () => {
  const iso = times.slice(0, 12);
  const base = { sensor: 'A', times: iso, actual: iso.map((_, i) => 50 + i), forecast: iso.map((_, i) => 51 + i) };

  it('an alert in epoch ms beside ISO times is drawn at that instant', () => {
    const spec = forecastChartSpec({ ...base, alerts: [Date.parse(iso[3]!)] });
    const layers = spec.layer as { data?: { values: { time: number }[] } }[];
    expect(layers).toHaveLength(2);
    expect(layers[1]!.data!.values).toEqual([{ time: Date.parse(iso[3]!) }]);
  });

  it('a time text that is no ISO time (MM/DD, as PeMS writes) is E_INPUT_INVALID naming the field and an example', async () => {
    const us = iso.map((_, i) => `11/01/2026 06:${String(i * 5).padStart(2, '0')}`);
    const error = await expectCode(() => forecastChartSpec({ ...base, times: us }), 'E_INPUT_INVALID');
    expect(error.details).toMatchObject({ field: 'times[0]' });
    expect(error.message).toMatch(/times\[0\] '11\/01\/2026 06:00'.*2026-01-05T06:00:00Z/);
    const alert = await expectCode(() => forecastChartSpec({ ...base, alerts: ['soon'] }), 'E_INPUT_INVALID');
    expect(alert.details).toMatchObject({ field: 'alerts[0]' });
  });

  it('an empty text is still no point, and a time text beside step numbers is refused', async () => {
    const spec = forecastChartSpec({ ...base, times: ['', ...iso.slice(1)], alerts: [''] });
    expect((spec.data as { values: unknown[] }).values).toHaveLength(22);
    expect(spec.layer as unknown[]).toHaveLength(1);
    const steps = { sensor: 'A', times: [0, 1], actual: [50, 51], forecast: [49, 52] };
    const error = await expectCode(() => forecastChartSpec({ ...steps, alerts: [iso[0]!] }), 'E_INPUT_INVALID');
    expect(error.details).toMatchObject({ field: 'alerts[0]' });
  });
});
