// Found in session 25: the HTML report and the serve page showed times without saying their zone. The
// forecast charts were drawn on the clock of the machine that rendered them (a report written in Tokyo put
// 06:00 UTC at '03 PM', under an axis titled 'time'), the report's alerts gave bare ISO instants, and the
// page's alerts said 'since 2026-…Z' for a model trained on the Los Angeles clock. Data without a clock
// (no timestamps, no --start) had its steps drawn and listed as times of 3 January 1970.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '@appliedml/demo-kit';
import { launchChromium } from '@appliedml/demo-kit/browser';
import { splitSeries, TrafficForecaster } from '@appliedml/traffic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wallTime } from './render';
import { replayTest, writeReport } from './report';
import { createLiveFeed, createTrafficService } from './server';
import { generatedNetwork, quickComparison } from './test-helpers';

const LA = 'America/Los_Angeles';
let dir: string;
let zone: string | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'traffic-clock-'));
  zone = process.env.TZ;
  process.env.TZ = 'Asia/Tokyo'; // the machine's own clock, 9 hours ahead of UTC
});

afterAll(async () => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
  await rm(dir, { recursive: true, force: true });
});

const axisTitle = (svg: string): string | undefined => /<text[^>]*>(time[^<]*)<\/text>/.exec(svg)?.[1];

describe('the HTML report says the zone of its times', () => {
  it.each([
    [LA, LA],
    ['none (UTC)', undefined],
  ])(
    'time zone %s: chart axes and the alerts table',
    async (_label, timeZone) => {
      const data = generatedNetwork(timeZone);
      const { results, testStart, kept } = await quickComparison(data);
      const replay = await replayTest(kept.get('last-value')!, data, testStart, [0, 1]);
      const raised = replay.events.filter((e) => e.type === 'raised');
      expect(raised.length).toBeGreaterThan(0);
      const out = join(dir, timeZone ?? 'utc');
      const html = await readFile(await writeReport(out, { data, results, replay, replayModel: 'persistence', tableText: '' }), 'utf8');
      const name = timeZone ?? 'UTC';
      expect(axisTitle(await readFile(join(out, 'forecast-S000.svg'), 'utf8'))).toBe(`time (${name})`);
      expect(html).toContain(`<th>started (${name})</th><th>raised (${name})</th>`);
      const first = raised[0]!.alert;
      // 'started' on that clock, not the bare ISO instant.
      expect(html).toContain(`<td>${wallTime(first.startedAt, timeZone)}</td>`);
      expect(html).not.toContain(`<td>${first.startedAt}</td>`);
      if (timeZone) {
        const hoursBack =
          (Date.parse(first.startedAt!) - Date.parse(`${wallTime(first.startedAt, timeZone).slice(0, 19).replace(' ', 'T')}Z`)) / 3_600_000;
        expect([7, 8]).toContain(hoursBack); // Los Angeles is 7 or 8 hours behind UTC
        expect(wallTime(first.startedAt, timeZone)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC-0[78]:00$/);
      } else expect(wallTime(first.startedAt, timeZone)).toBe(first.startedAt!.slice(0, 19).replace('T', ' '));
      for (const m of kept.values()) m.dispose();
    },
    120_000,
  );
});

describe('the serve page says the zone of its times', () => {
  let service: Service;
  let base = '';
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let startedAt = '';

  beforeAll(async () => {
    const data = generatedNetwork(LA);
    const { train, testStart } = splitSeries(data.series, 0.8);
    const model = TrafficForecaster.create({ model: 'historical-average' });
    await model.train(train);
    expect(model.timeZone).toBe(LA);
    const feed = createLiveFeed(model, data, testStart, { autoStart: false });
    for (let k = 0; k < 160; k++) await feed.advance();
    const raised = feed.alerts().recent.find((e) => e.type === 'raised');
    expect(raised).toBeDefined();
    startedAt = raised!.alert.startedAt!;
    service = await createTrafficService(feed, data, { onClose: () => model.dispose() });
    ({ url: base } = await service.listen());
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it("the chart's axis names the model's clock", async () => {
    const svg = await (await fetch(`${base}/api/chart.svg?sensor=S001`)).text();
    expect(axisTitle(svg)).toBe(`time (${LA})`);
  });

  it("a browser on another clock (Tokyo) shows the alerts' times on the model's, naming it", async () => {
    const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
    try {
      const page = await context.newPage();
      await page.goto(`${base}/`);
      expect(await page.locator('#clock').textContent()).toBe(
        `Times are ${LA} time (the clock the model was trained on), with the UTC offset.`,
      );
      const alerts = page.locator('#alerts li.alert');
      await expect.poll(() => alerts.count()).toBeGreaterThan(0);
      // With the UTC offset, as the report gives it (the API sends the report's text: alert-times.test.ts
      // checks the two agree, in the hour repeated when clocks go back and in Kolkata); the sentence above names the zone.
      const since = `since ${wallTime(startedAt, LA)} (z `; // 'since 2026-01-05 08:35:00 UTC-08:00 (z '
      expect(await alerts.allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining(since)]));
      expect((await alerts.allTextContents()).join('\n')).not.toMatch(/since \d{4}-\d\d-\d\dT/);
    } finally {
      await context.close();
    }
  }, 60_000);
});

describe('data without a clock: steps, not times of 1970', () => {
  it('the report draws and lists steps', async () => {
    const data = generatedNetwork(null);
    const { results, testStart, kept } = await quickComparison(data);
    const replay = await replayTest(kept.get('last-value')!, data, testStart, [0, 1]);
    expect(replay.charts[0]!.times.every((t) => typeof t === 'number')).toBe(true);
    const raised = replay.events.flatMap((e, k) => (e.type === 'raised' ? [[e, replay.eventSteps[k]!] as const] : []));
    expect(raised.length).toBeGreaterThan(0);
    const out = join(dir, 'clockless');
    const html = await readFile(await writeReport(out, { data, results, replay, replayModel: 'persistence', tableText: '' }), 'utf8');
    const svg = await readFile(join(out, 'forecast-S000.svg'), 'utf8');
    expect(/<text[^>]*>(step)<\/text>/.test(svg)).toBe(true);
    expect(svg).not.toMatch(/1970|Sat 03|time \(UTC\)/);
    expect(html).toContain("The data has no clock (no timestamps, no --start): times are the series' step numbers.");
    expect(html).toContain('<th>started (step)</th><th>raised (step)</th>');
    const [first, at] = raised[0]!;
    expect(html).toContain(`<td>${at - (first.alert.raisedStep - first.alert.startStep)}</td><td>${at}</td>`);
    expect(html).not.toMatch(/1970/);
    for (const m of kept.values()) m.dispose();
  }, 120_000);

  it('the serve chart shows steps, the API no 1970 times, the page says there is no clock', async () => {
    const data = generatedNetwork(null);
    const { train, testStart } = splitSeries(data.series, 0.8);
    const model = TrafficForecaster.create({ model: 'last-value' });
    await model.train(train);
    const feed = createLiveFeed(model, data, testStart, { autoStart: false });
    for (let k = 0; k < 160; k++) await feed.advance();
    const service = await createTrafficService(feed, data, { onClose: () => model.dispose() });
    try {
      const { url } = await service.listen();
      const svg = await (await fetch(`${url}/api/chart.svg?sensor=S001`)).text();
      expect(axisTitle(svg)).toBeUndefined();
      expect(/<text[^>]*>(step)<\/text>/.test(svg)).toBe(true);
      expect(svg).not.toMatch(/1970|Sat 03/);
      const answer = (await (await fetch(`${url}/api/forecast?sensor=S001`)).json()) as { history: { time: string | null }[] };
      expect(answer.history.length).toBeGreaterThan(0);
      expect(answer.history.every((h) => h.time === null)).toBe(true);
      const alerts = JSON.stringify(await (await fetch(`${url}/api/alerts`)).json());
      expect(alerts).not.toMatch(/1970/);
      expect(await (await fetch(`${url}/`)).text()).toContain('The data has no clock (no timestamps, no --start)');
    } finally {
      await service.close();
    }
  }, 120_000);
});
