import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '@appliedml/demo-kit';
import { launchChromium, withPage } from '@appliedml/demo-kit/browser';
import { TextClassifier } from '@appliedml/text';
import { loadSpamAssassin } from './data';
import { createTextService, inProcess } from './server';

// The demo as a person uses it: Debian's Chromium (headless, through playwright-core) opens the
// page, types a text, clicks Classify, and sees the label and the score bars. No Chromium is a
// failure that says how to install it, never a skip. The page also shows the model's confusion
// matrix on held-out mails, with the accuracy.
describe('text demo in a browser', () => {
  let service: Service;
  let base = '';
  let heldOutCount = 0;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    const split = loadSpamAssassin(200);
    const model = TextClassifier.create({ features: { charNgrams: false }, linear: { epochs: 6 } });
    await model.train(split.train);
    const metrics = await model.evaluate(split.test, { positiveLabel: 'spam' });
    heldOutCount = split.test.length;
    service = await createTextService(
      inProcess(model),
      { model: 'linear (200 SpamAssassin mails)' },
      { heldOut: { title: `${split.test.length} held-out SpamAssassin mails`, metrics } },
    );
    ({ url: base } = await service.listen());
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('classifies a typed text and draws the score bars', async () => {
    await withPage(browser, `${base}/`, async ({ page, errors }) => {
      await expect.poll(() => page.locator('#model').textContent()).toContain('labels: ham, spam');
      await page.locator('#text').fill('Congratulations! You have won a FREE prize. Click here to claim your cash reward now!!!');
      await page.locator('#go').click();
      await page.locator('#label').waitFor();
      expect(await page.locator('#label').textContent()).toBe('spam');
      const bars = page.locator('#out .score .bar');
      expect(await bars.count()).toBe(2);
      const widths = await bars.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
      expect(widths[0]).toBeGreaterThan(150); // the winning label's bar: over half of 300 px
      expect(widths.reduce((a, b) => a + b, 0)).toBeCloseTo(300, 0);
      expect(await page.locator('#out .pos, #out .neg').count()).toBeGreaterThan(0);
      // The weights' unit and method are named (a linear model: logit contributions; they were bare numbers).
      expect(await page.locator('#weight-unit').textContent()).toBe("contribution to the label's logit; linear-contributions");

      await page.locator('#text').fill('   ');
      await page.locator('#go').click();
      await expect.poll(() => page.locator('#out').textContent()).toContain('E_INPUT_INVALID');
      expect(errors.filter((e) => !e.includes('400'))).toEqual([]);
    });
  });

  it('shows the held-out confusion matrix with the accuracy', async () => {
    await withPage(browser, `${base}/`, async ({ page, errors }) => {
      const accuracy = Number(await page.locator('#accuracy').textContent());
      expect(accuracy).toBeGreaterThan(50);
      expect(accuracy).toBeLessThanOrEqual(100);
      type Img = { complete: boolean; naturalWidth: number; naturalHeight: number; src: string };
      const matrix = page.locator('#confusion');
      await expect
        .poll(() => matrix.evaluate((el) => (el as unknown as Img).complete && (el as unknown as Img).naturalWidth > 0))
        .toBe(true);
      const size = await matrix.evaluate((el) => {
        const img = el as unknown as Img;
        return { width: img.naturalWidth, height: img.naturalHeight, src: img.src };
      });
      expect(size.width).toBeGreaterThan(200);
      expect(size.height).toBeGreaterThan(200);
      expect((await matrix.boundingBox())?.width ?? 0).toBeGreaterThan(200);
      // The picture has content: a 2 × 2 matrix whose counts add up to the held-out mails.
      const svg = await page.evaluate(async (src) => (await fetch(src)).text(), size.src);
      expect(svg.match(/<rect/g)).toHaveLength(4);
      const counts = [...svg.matchAll(/font-size="14">(\d+)<\/text>/g)].map((m) => Number(m[1]));
      expect(counts).toHaveLength(4);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(heldOutCount);
      expect(errors).toEqual([]);
    });
  });

  it('links the OpenAPI page, which renders offline from the service itself', async () => {
    await withPage(browser, `${base}/`, async ({ page }) => {
      await page.locator('#api').click();
      await page.locator('.swagger-ui .opblock').first().waitFor();
      const ops = await page.locator('.opblock-summary-path').allTextContents();
      expect(ops.map((o) => o.replace(/\u200b/g, ''))).toEqual(expect.arrayContaining(['/predict', '/info', '/healthz', '/readyz']));
    });
  });
});
