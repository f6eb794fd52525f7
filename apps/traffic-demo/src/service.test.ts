import { splitSeries, TrafficForecaster } from '@appliedml/traffic';
import type { Service } from '@appliedml/demo-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData, type DemoData } from './data';
import { createLiveFeed, createTrafficService, MAX_BODY_BYTES, type LiveFeed } from './server';

let data: DemoData;
let model: TrafficForecaster;
let feed: LiveFeed;
let service: Service;
let base = '';
let closedFeed = false;

beforeAll(async () => {
  data = await loadDemoData('synthetic', 8, {});
  const { train, testStart } = splitSeries(data.series, 0.8);
  model = TrafficForecaster.create({ model: 'historical-average' });
  await model.train(train);
  feed = createLiveFeed(model, data, testStart, { autoStart: false });
  service = await createTrafficService(feed, data, {
    onClose: () => {
      closedFeed = true;
      model.dispose();
    },
  });
  ({ url: base } = await service.listen());
});

afterAll(async () => {
  await service.close();
  expect(closedFeed).toBe(true);
});

const codeOf = async (res: Response): Promise<[number, string]> => [res.status, ((await res.json()) as { code: string }).code];

describe('the live feed', () => {
  it('keeps running when the replay loops back to the start of the data (no tick fails, forecasts resume)', async () => {
    const own = TrafficForecaster.create({ model: 'historical-average' });
    const { train } = splitSeries(data.series, 0.8);
    await own.train(train);
    const from = data.series.steps - 20;
    const live = createLiveFeed(own, data, from, { autoStart: false });
    // Three loops of 20 steps: every tick succeeds (advance rejects otherwise), and once the first
    // forecast exists the feed stays ready through each loop.
    for (let k = 0; k < 60; k++) {
      await live.advance();
      if (k >= 11) expect(live.hasForecast, `tick ${k}`).toBe(true);
    }
    expect(live.failedTicks).toBe(0);
    await live.stop();
    own.dispose();
  });
});

describe('traffic service on the demo kit', () => {
  it('is not ready before the first forecast; then serves the page, forecasts, chart and alerts', async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    for (let k = 0; k < 20; k++) await feed.advance();
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('<select id="sensor">');
    expect(page).toContain('href="/docs"');
    expect(page).toContain('SYNTHETIC');
    const sensor = data.series.sensors[2]!;
    expect(await (await fetch(`${base}/api/sensors`)).json()).toEqual({ sensors: data.series.sensors, synthetic: true });
    const f = (await (await fetch(`${base}/api/forecast?sensor=${sensor}`)).json()) as {
      sensor: string;
      forecast: unknown[];
      history: unknown[];
    };
    expect(f.sensor).toBe(sensor);
    expect(f.forecast).toHaveLength(12);
    expect(f.history).toHaveLength(20);
    const chart = await fetch(`${base}/api/chart.svg?sensor=${sensor}`);
    expect(chart.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await chart.text()).toContain('<svg');
    const alerts = (await (await fetch(`${base}/api/alerts`)).json()) as { active: unknown[]; recent: unknown[] };
    expect(Array.isArray(alerts.active) && Array.isArray(alerts.recent)).toBe(true);
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/', '/api/sensors', '/api/forecast', '/api/alerts', '/api/chart.svg', '/healthz', '/readyz']),
    );
  });

  it('answers hostile requests with typed 4xx and never echoes them', async () => {
    const unknown = await fetch(`${base}/api/forecast?sensor=%3Cscript%3E`);
    const body = await unknown.text();
    expect(unknown.status).toBe(400);
    expect(body).not.toContain('script');
    expect(await codeOf(await fetch(`${base}/api/chart.svg?sensor=${'x'.repeat(200)}`))).toEqual([400, 'E_INPUT_INVALID']);
    expect(await codeOf(await fetch(`${base}/api/forecast?sensor=S000&extra=1`))).toEqual([400, 'E_INPUT_INVALID']);
    // No file parameter exists; a traversal path is just an unknown route or an unknown sensor.
    expect(await codeOf(await fetch(`${base}/api/chart.svg?sensor=..%2F..%2Fetc%2Fpasswd`))).toEqual([400, 'E_INPUT_INVALID']);
    expect(await codeOf(await fetch(`${base}/api/%2e%2e/%2e%2e/etc/passwd`))).toEqual([404, 'E_NOT_FOUND']);
    // No route takes a body: a POST to a GET route is a 405 naming GET, and to an unknown route a 404, both
    // answered before the body is looked at (the demo kit since ecf7898), whatever its size or content.
    const send = (body: string, type = 'application/json', path = '/api/alerts'): Promise<Response> =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    for (const [body, type] of [
      ['x'.repeat(MAX_BODY_BYTES + 1), 'application/json'],
      ['{}', 'text/plain'],
      ['{nope', 'application/json'],
    ] as const) {
      const res = await send(body, type);
      expect(res.headers.get('allow')).toMatch(/GET/);
      expect(await codeOf(res)).toEqual([405, 'E_NOT_FOUND']);
      expect(await codeOf(await send(body, type, '/api/nope'))).toEqual([404, 'E_NOT_FOUND']);
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('answers 500 requests from 8 concurrent clients with no error and bounded memory', async () => {
    const sensors = data.series.sensors;
    const paths = (i: number): string =>
      i % 4 === 0
        ? '/api/alerts'
        : i % 4 === 1
          ? `/api/chart.svg?sensor=${sensors[i % sensors.length]}`
          : `/api/forecast?sensor=${sensors[i % sensors.length]}`;
    const fire = async (total: number): Promise<number> => {
      let next = 0;
      let errors = 0;
      const client = async (): Promise<void> => {
        while (next < total) {
          const res = await fetch(`${base}${paths(next++)}`);
          await res.arrayBuffer();
          if (res.status !== 200) errors += 1;
        }
      };
      await Promise.all(Array.from({ length: 8 }, client));
      return errors;
    };
    expect(await fire(100)).toBe(0); // warm-up: charts drawn, code compiled
    const before = process.memoryUsage();
    const started = performance.now();
    expect(await fire(500)).toBe(0);
    const after = process.memoryUsage();
    // A stall, not a speed check (about 1–2 s here when quiet): memory is what this test is about.
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(48 * 1024 * 1024);
    expect(after.rss - before.rss).toBeLessThan(96 * 1024 * 1024);
  });

  it('stops the live feed timer in onClose, after the tick in progress', async () => {
    const { train, testStart } = splitSeries(data.series, 0.8);
    const own = TrafficForecaster.create({ model: 'last-value' });
    await own.train(train);
    const live = createLiveFeed(own, data, testStart, { tickMs: 10 });
    const svc = await createTrafficService(live, data, { onClose: () => own.dispose() });
    await svc.listen();
    await expect.poll(() => live.forecastFor(0).history.length).toBeGreaterThan(3);
    await svc.close();
    const seen = live.forecastFor(0).history.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(live.forecastFor(0).history.length).toBe(seen);
    expect(live.failedTicks).toBe(0);
  });
});
