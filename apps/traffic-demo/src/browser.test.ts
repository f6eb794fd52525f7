import { splitSeries, TrafficForecaster } from '@appliedml/traffic';
import type { Service } from '@appliedml/demo-kit';
import { launchChromium, withPage } from '@appliedml/demo-kit/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from './data';
import { createLiveFeed, createTrafficService } from './server';

// The demo as a person uses it: Debian's Chromium opens the page, picks a sensor, and sees its
// forecast chart and the live alerts. No Chromium is a failure saying how to install it, never a skip.
describe('traffic demo in a browser', () => {
  let service: Service;
  let base = '';
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    const data = await loadDemoData('synthetic', 8, {});
    const { train, testStart } = splitSeries(data.series, 0.8);
    const model = TrafficForecaster.create({ model: 'historical-average' });
    await model.train(train);
    const feed = createLiveFeed(model, data, testStart, { autoStart: false });
    // 160 steps of the test part reach the incident injected on S001: an alert is raised.
    for (let k = 0; k < 160; k++) await feed.advance();
    expect(feed.alerts().recent.some((e) => e.type === 'raised' && e.alert.sensor === 'S001')).toBe(true);
    service = await createTrafficService(feed, data, { onClose: () => model.dispose() });
    ({ url: base } = await service.listen());
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('draws the forecast chart of the chosen sensor and lists the alerts', async () => {
    await withPage(browser, `${base}/`, async ({ page, errors }) => {
      await page.locator('#sensor').selectOption('S001');
      await expect.poll(() => page.locator('#chart').getAttribute('data-sensor')).toBe('S001');
      type Img = { complete: boolean; naturalWidth: number; naturalHeight: number; src: string };
      const size = await page.locator('#chart').evaluate((el) => {
        const img = el as unknown as Img;
        return { complete: img.complete, width: img.naturalWidth, height: img.naturalHeight, src: img.src };
      });
      expect(size.complete).toBe(true);
      expect(size.width).toBeGreaterThan(300);
      expect(size.height).toBeGreaterThan(100);
      // The picture has content: the readings and the forecast are lines in the SVG it shows.
      const svg = await page.evaluate(async (src) => (await fetch(src)).text(), size.src);
      expect(svg).toContain('<svg');
      expect((svg.match(/<path/g) ?? []).length).toBeGreaterThan(2);
      const alerts = page.locator('#alerts li.alert');
      await expect.poll(() => alerts.count()).toBeGreaterThan(0);
      expect(await alerts.allTextContents()).toEqual(
        expect.arrayContaining([expect.stringMatching(/^raised at .*: sensor S001 \(began /)]),
      );
      expect(errors).toEqual([]);
    });
  });

  it('links the OpenAPI page, which renders offline from the service itself', async () => {
    await withPage(browser, `${base}/`, async ({ page }) => {
      await page.locator('#api').click();
      await page.locator('.swagger-ui .opblock').first().waitFor();
      const ops = await page.locator('.opblock-summary-path').allTextContents();
      expect(ops.map((o) => o.replace(/\u200b/g, ''))).toEqual(expect.arrayContaining(['/api/forecast', '/api/chart.svg', '/api/alerts']));
    });
  });
});
