// Found in review (r4, session 25): the serve page numbered a clockless replay's alerts by the incident
// monitor's own count ('since replay step 128') while its chart and the report show series steps (3,360 …);
// its alert times had no UTC offset, so the hour repeated when clocks go back read the same twice (the
// report gives the offset); and a file whose times carry no offset, read without --time-zone, was labelled
// 'Times are UTC time.' / 'time (UTC)', though the times are the file's own clock read as UTC fields.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '@appliedml/demo-kit';
import { launchChromium } from '@appliedml/demo-kit/browser';
import { splitSeries, TrafficForecaster } from '@appliedml/traffic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from './data';
import { utcClockSentence } from './page-clock';
import { wallTime } from './render';
import { replayTest, writeReport } from './report';
import { createLiveFeed, createTrafficService, type LiveFeed } from './server';
import { generatedNetwork } from './test-helpers';

const LA = 'America/Los_Angeles';
const axisTitle = (svg: string): string | undefined => /<text[^>]*>(time[^<]*|step)<\/text>/.exec(svg)?.[1];

interface Running {
  feed: LiveFeed;
  service: Service;
  url: string;
  testStart: number;
}

async function serve(data: DemoData, ticks: number): Promise<Running> {
  const { train, testStart } = splitSeries(data.series, 0.8);
  const model = TrafficForecaster.create({ model: 'last-value' });
  await model.train(train);
  const feed = createLiveFeed(model, data, testStart, { autoStart: false });
  for (let k = 0; k < ticks; k++) await feed.advance();
  const service = await createTrafficService(feed, data, { onClose: () => model.dispose() });
  const { url } = await service.listen();
  return { feed, service, url, testStart };
}

let browser: Awaited<ReturnType<typeof launchChromium>>;
type Page = Awaited<ReturnType<typeof browser.newPage>>;
let dir: string;
const running: Running[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), 'traffic-page-times-'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const r of running) await r.service.close();
  await rm(dir, { recursive: true, force: true });
});

/** Opens the page in a browser on another clock (Tokyo) and runs `run` on it. */
async function onPage(url: string, run: (page: Page) => Promise<void>): Promise<void> {
  const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
  try {
    const page = await context.newPage();
    await page.goto(`${url}/`);
    await run(page);
  } finally {
    await context.close();
  }
}

describe('the serve page of data without a clock lists alerts by series step, as its chart and the report do', () => {
  it('GET /api/alerts gives the series steps; the page says "since step N", N on the chart', async () => {
    const r = await serve(generatedNetwork(null), 160);
    running.push(r);
    const raised = r.feed.alerts().recent.filter((e) => e.type === 'raised');
    expect(raised.length).toBeGreaterThan(0);
    const first = raised[0]!;
    // The series step, not the monitor's count from its first observation.
    expect(first.startedAtStep).toBe(first.seriesStep - (first.alert.raisedStep - first.alert.startStep));
    expect(first.startedAtStep).toBeGreaterThanOrEqual(r.testStart);
    expect(first.startedAtStep).toBeLessThan(r.testStart + 160);
    expect(first.startedAtStep).not.toBe(first.alert.startStep);
    const api = (await (await fetch(`${r.url}/api/alerts`)).json()) as { recent: { startedAtStep: number; seriesStep: number }[] };
    expect(api.recent[0]).toMatchObject({
      startedAtStep: r.feed.alerts().recent[0]!.startedAtStep,
      seriesStep: r.feed.alerts().recent[0]!.seriesStep,
    });
    expect(axisTitle(await (await fetch(`${r.url}/api/chart.svg?sensor=${first.alert.sensor}`)).text())).toBe('step');
    await onPage(r.url, async (page) => {
      const alerts = page.locator('#alerts li.alert');
      await expect.poll(() => alerts.count()).toBeGreaterThan(0);
      const text = (await alerts.allTextContents()).join('\n');
      expect(text).toContain(`raised at step ${first.seriesStep}: sensor ${first.alert.sensor} (began step ${first.startedAtStep}; z `);
      expect(text).not.toContain('replay step');
    });
  }, 120_000);
});

describe("the serve page's alert times carry the UTC offset, as the report's do", () => {
  it('the hour repeated when clocks go back reads two ways (Los Angeles, 1 November 2026)', async () => {
    const r = await serve(generatedNetwork(LA), 0);
    running.push(r);
    // The page shows the times GET /api/alerts formats with the report's wallTime (alert-times.test.ts
    // checks the two agree, here and in Kolkata); it had its own formatter in the browser.
    expect(wallTime('2026-11-01T08:30:00.000Z', LA)).toBe('2026-11-01 01:30:00 UTC-07:00');
    expect(wallTime('2026-11-01T09:30:00.000Z', LA)).toBe('2026-11-01 01:30:00 UTC-08:00');
    await onPage(r.url, async (page) => {
      expect(await page.locator('#clock').textContent()).toBe(
        `Times are ${LA} time (the clock the model was trained on), with the UTC offset.`,
      );
    });
  }, 120_000);
});

describe("a file read without --time-zone is labelled its own clock read as UTC, not 'UTC'", () => {
  const fileClock = /time \(the file(&#x27;|&#39;|')s clock, read as UTC\)/;

  it('the serve page and chart', async () => {
    const r = await serve(generatedNetwork(undefined, 'file'), 20);
    running.push(r);
    const svg = await (await fetch(`${r.url}/api/chart.svg?sensor=S001`)).text();
    expect(svg).toMatch(fileClock);
    expect(svg).not.toContain('time (UTC)');
    await onPage(r.url, async (page) => {
      expect(await page.locator('#clock').textContent()).toBe(utcClockSentence(true));
    });
    // Its alerts' times (from GET /api/alerts, as the report writes them): the file's fields, no zone named.
    expect(wallTime('2026-01-05T08:35:00.000Z', undefined)).toBe('2026-01-05 08:35:00');
    // The built-in sources keep 'UTC'.
    const builtIn = await serve(generatedNetwork(undefined), 20);
    running.push(builtIn);
    expect(axisTitle(await (await fetch(`${builtIn.url}/api/chart.svg?sensor=S001`)).text())).toBe('time (UTC)');
  }, 120_000);

  it('the report', async () => {
    const data = generatedNetwork(undefined, 'file');
    const { train, testStart } = splitSeries(data.series, 0.8);
    const model = TrafficForecaster.create({ model: 'last-value' });
    await model.train(train);
    try {
      const replay = await replayTest(model, data, testStart, [0]);
      const out = join(dir, 'file-clock');
      const html = await readFile(await writeReport(out, { data, results: [], replay, replayModel: 'persistence', tableText: '' }), 'utf8');
      expect(await readFile(join(out, 'forecast-S000.svg'), 'utf8')).toMatch(fileClock);
      expect(html).toMatch(/<th>started \(the file(&#39;|')s clock, read as UTC\)<\/th>/);
      expect(html).toContain('no --time-zone was given, so a time without a UTC offset was read as UTC');
      expect(html).not.toContain('Times are UTC time.');
    } finally {
      model.dispose();
    }
  }, 120_000);
});
