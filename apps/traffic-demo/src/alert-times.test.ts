// Found in review (session 25): the serve page formatted its alert times in the browser (Intl on the model's
// zone) while the report formatted them in Node (`wallTime`): two implementations of one format, which
// already differed. And GET /api/alerts' `active` alerts carried only the monitor's own step numbers
// (counted from its first observation, on across the replay's passes), which a client can place nowhere;
// a clear after the replay looped was dated by that count too. Now the API sends each alert's series steps
// and its times as the report shows them, and the page shows those.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Service } from '@appliedml/demo-kit';
import { launchChromium } from '@appliedml/demo-kit/browser';
import { createSeries, generateTrafficNetwork, TrafficForecaster, type TrafficSeries } from '@appliedml/traffic';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoData } from './data';
import { replayTest, writeReport } from './report';
import { createLiveFeed, createTrafficService, type AlertsAnswer, type LiveFeed } from './server';
import { scratchFolder } from './test-helpers';

const STEP_MS = 300_000;
/** Two days of training, then the replay; the drops come 100 steps into it (the monitor has its history by then). */
const TEST_START = 576;
const DROP = TEST_START + 100;
const LA = 'America/Los_Angeles';

/**
 * Four generated sensors, three days of 5-minute readings on `zone`'s clock, placed so that step DROP is
 * instant `dropAt`: there sensor S000 reads 5 for seven steps (an incident), and S001 an hour earlier.
 */
function network(zone: string, dropAt: number, steps = 864): DemoData {
  const start = dropAt - DROP * STEP_MS;
  const net = generateTrafficNetwork({ sensors: 4, days: 3, incidents: 0, seed: 2026, start });
  const n = 4;
  const values = Float64Array.from(net.series.values.subarray(0, steps * n));
  for (let t = DROP; t < DROP + 7; t++) {
    if (t < steps) values[t * n] = 5;
    values[(t - 12) * n + 1] = 5;
  }
  const series: TrafficSeries = createSeries({ values, sensors: net.series.sensors, intervalMinutes: 5, start, timeZone: zone });
  return { ...net, series, name: 'synthetic', note: 'SYNTHETIC' };
}

async function trained(data: DemoData): Promise<TrafficForecaster> {
  const model = TrafficForecaster.create({ model: 'last-value' });
  const { series } = data;
  const n = series.sensors.length;
  await model.train(
    createSeries({
      values: series.values.slice(0, TEST_START * n),
      sensors: series.sensors,
      intervalMinutes: series.intervalMinutes,
      start: series.start,
      timeZone: series.timeZone!,
    }),
  );
  return model;
}

/** A feed of `data` from TEST_START, advanced through series step `last`. */
async function feedThrough(model: TrafficForecaster, data: DemoData, last: number): Promise<LiveFeed> {
  const feed = createLiveFeed(model, data, TEST_START, { autoStart: false });
  for (let t = TEST_START; t <= last; t++) await feed.advance();
  return feed;
}

const out = scratchFolder('traffic-alert-times-');
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
const services: Service[] = [];
const models: TrafficForecaster[] = [];

afterAll(async () => {
  await browser?.close();
  for (const s of services) await s.close();
  for (const m of models) m.dispose();
});

describe("GET /api/alerts gives each alert's times as the report shows them, and the page shows those", () => {
  for (const [zone, dropAt, started, raised, earlier] of [
    // The second pass of the hour repeated when clocks go back (01:10 PST); S001's drop an hour earlier is in the first (PDT).
    [LA, Date.UTC(2026, 10, 1, 9, 10), '2026-11-01 01:10:00 UTC-08:00', '2026-11-01 01:20:00 UTC-08:00', '2026-11-01 01:10:00 UTC-07:00'],
    // Half an hour off whole-hour offsets.
    [
      'Asia/Kolkata',
      Date.UTC(2026, 0, 5, 6, 10),
      '2026-01-05 11:40:00 UTC+05:30',
      '2026-01-05 11:50:00 UTC+05:30',
      '2026-01-05 10:40:00 UTC+05:30',
    ],
  ] as const) {
    it(`${zone}: the API's times equal the report's, and the page lists them`, async () => {
      const data = network(zone, dropAt);
      const model = await trained(data);
      models.push(model);
      // The report of the same replay.
      const replay = await replayTest(model, data, TEST_START, [0]);
      const html = await readFile(
        await writeReport(join(out.path, zone.replace('/', '-')), { data, results: [], replay, replayModel: 'persistence', tableText: '' }),
        'utf8',
      );
      const feed = await feedThrough(model, data, DROP + 10);
      const service = await createTrafficService(feed, data);
      services.push(service);
      const { url } = await service.listen();
      const api = (await (await fetch(`${url}/api/alerts`)).json()) as AlertsAnswer;
      // Newest first: each sensor's first alert is its last.
      const raisedEvents = api.recent.filter((e) => e.type === 'raised');
      const s0 = raisedEvents.findLast((e) => e.alert.sensor === 'S000')!;
      const s1 = raisedEvents.findLast((e) => e.alert.sensor === 'S001')!;
      expect(s0.alert).toMatchObject({ startedAtText: started, raisedAtText: raised, startedAtStep: DROP, raisedAtStep: DROP + 2 });
      expect(s0.timeText).toBe(raised);
      expect(s1.alert.startedAtText).toBe(earlier);
      // The report's row of each alert gives the same texts.
      for (const e of [s0, s1])
        expect(html).toContain(`<tr><td>${e.alert.sensor}</td><td>${e.alert.startedAtText}</td><td>${e.alert.raisedAtText}</td>`);
      // The page, in a browser on another clock (Tokyo), lists the API's texts.
      browser ??= await launchChromium();
      const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
      try {
        const page = await context.newPage();
        await page.goto(`${url}/`);
        const alerts = page.locator('#alerts li.alert');
        await expect.poll(() => alerts.count()).toBeGreaterThan(1);
        const text = (await alerts.allTextContents()).join('\n');
        expect(text).toContain(`raised at ${raised}: sensor S000 (began ${started}; z `);
        expect(text).toContain(`: sensor S001 (began ${earlier}; z `);
        // A clear at the time it cleared, its alert's start beside it (it read 'cleared: sensor S000 since <start>').
        const cleared = api.recent.find((e) => e.type === 'cleared' && e.alert.sensor === 'S000')!;
        expect(cleared.timeText).not.toBe(started);
        expect(text).toContain(`cleared at ${cleared.timeText}: sensor S000 (began ${started}; z `);
        expect(text).not.toMatch(/^(raised|cleared)\b.* since /m);
      } finally {
        await context.close();
      }
    }, 180_000);
  }
});

describe("GET /api/alerts' active alerts and clears give series steps and times, not the monitor's count", () => {
  it('an open alert gives the series steps and times it started and was raised at', async () => {
    const data = network(LA, Date.UTC(2026, 10, 1, 9, 10));
    const model = await trained(data);
    models.push(model);
    const feed = await feedThrough(model, data, DROP + 4); // S000 still reads 5: its alert is open
    const service = await createTrafficService(feed, data);
    services.push(service);
    const { url } = await service.listen();
    const api = (await (await fetch(`${url}/api/alerts`)).json()) as AlertsAnswer;
    const open = api.active.find((a) => a.sensor === 'S000');
    expect(open).toMatchObject({
      startedAtStep: DROP,
      raisedAtStep: DROP + 2,
      startedAt: '2026-11-01T09:10:00.000Z',
      startedAtText: '2026-11-01 01:10:00 UTC-08:00',
      raisedAtText: '2026-11-01 01:20:00 UTC-08:00',
    });
    // The monitor's own count is not the series step.
    expect(open!.startStep).not.toBe(DROP);
    // The page lists the open alert first, above the events (a clear sat between raised alerts).
    browser ??= await launchChromium();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${url}/`);
      const alerts = page.locator('#alerts li.alert');
      await expect.poll(() => alerts.count()).toBeGreaterThan(api.active.length);
      const texts = await alerts.allTextContents();
      expect(texts.slice(0, api.active.length).every((t) => t.startsWith('active: sensor '))).toBe(true);
      expect(texts.slice(api.active.length).every((t) => /^(raised|cleared) at /.test(t))).toBe(true);
      expect(texts).toContain(
        `active: sensor S000 since 2026-11-01 01:10:00 UTC-08:00 (z ${open!.z.toFixed(1)}, ${open!.observed.toFixed(1)} vs ${open!.expected.toFixed(1)} expected)`,
      );
    } finally {
      await context.close();
    }
  }, 120_000);

  it('an alert open when the replay loops is cleared in the next pass with the steps it started at', async () => {
    // The data ends while S000's alert is open: the replay loops back to TEST_START and S000 reads normal there.
    const data = network(LA, Date.UTC(2026, 10, 1, 9, 10), DROP + 5);
    const model = await trained(data);
    models.push(model);
    const feed = await feedThrough(model, data, DROP + 4);
    expect(feed.alerts().active.map((a) => a.sensor)).toContain('S000');
    for (let k = 0; k < 40; k++) await feed.advance();
    const cleared = feed.alerts().recent.find((e) => e.type === 'cleared' && e.alert.sensor === 'S000');
    expect(cleared).toBeDefined();
    expect(cleared!.seriesStep).toBeLessThan(TEST_START + 40); // in the second pass
    expect(cleared!.startedAtStep).toBe(DROP);
    expect(cleared!.alert).toMatchObject({ startedAtStep: DROP, raisedAtStep: DROP + 2, startedAtText: '2026-11-01 01:10:00 UTC-08:00' });
  }, 120_000);
});
