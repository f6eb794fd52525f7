import { generateTransactions, TransactionScorer } from '@appliedml/fraud';
import type { Service } from '@appliedml/demo-kit';
import { launchChromium, withPage } from '@appliedml/demo-kit/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldOutCurves } from './curves';
import { createFraudService } from './server';

// The demo as a person uses it: Debian's Chromium opens the page, fills in a transaction, presses
// Score, and sees the score, the decision and the reasons; the alert joins the list. No Chromium is
// a failure saying how to install it, never a skip. The page also shows the model's ROC and PR
// curves on a held-out labelled stream, with AUCROC and AUCPR.
describe('fraud demo in a browser', () => {
  let service: Service;
  let base = '';
  let card = '';
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    const txs = generateTransactions({ cards: 150, days: 15, seed: 9 });
    card = txs[txs.length - 1]!.card;
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs);
    const copy = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await copy.train(txs);
    const heldOut = generateTransactions({ cards: 120, days: 15, seed: 10 });
    const curves = await heldOutCurves(
      copy,
      heldOut,
      heldOut.map((t) => t.label),
      'held-out stream',
    );
    copy.dispose();
    service = await createFraudService(scorer, { synthetic: true, curves, onClose: () => scorer.dispose() });
    ({ url: base } = await service.listen());
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('shows the held-out ROC and PR curves with AUCROC and AUCPR', async () => {
    await withPage(browser, `${base}/`, async ({ page, errors }) => {
      const aucroc = Number(await page.locator('#aucroc').textContent());
      const aucpr = Number(await page.locator('#aucpr').textContent());
      expect(aucroc).toBeGreaterThan(50);
      expect(aucroc).toBeLessThanOrEqual(100);
      expect(aucpr).toBeGreaterThan(0);
      type Img = { complete: boolean; naturalWidth: number; naturalHeight: number; src: string };
      const curves = page.locator('#curves');
      await expect
        .poll(() => curves.evaluate((el) => (el as unknown as Img).complete && (el as unknown as Img).naturalWidth > 0))
        .toBe(true);
      const size = await curves.evaluate((el) => {
        const img = el as unknown as Img;
        return { width: img.naturalWidth, height: img.naturalHeight, src: img.src };
      });
      expect(size.width).toBeGreaterThan(400);
      expect(size.height).toBeGreaterThan(200);
      const box = await curves.boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(400);
      // The picture has content: the ROC and the PR curve are paths of many points.
      const svg = await page.evaluate(async (src) => (await fetch(src)).text(), size.src);
      const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1] ?? '');
      expect(paths).toHaveLength(2);
      for (const d of paths) expect(d.split('L').length).toBeGreaterThan(5);
      expect(svg).toContain(`AUCROC ${aucroc.toFixed(2)}`);
      // Each panel's axes carry their values, 0 to 1 (they had none).
      for (const axis of ['tick-x', 'tick-y'])
        expect([...svg.matchAll(new RegExp(`class="${axis}"[^>]*>([^<]*)<`, 'g'))].map((m) => m[1])).toEqual([
          ...['0', '0.25', '0.5', '0.75', '1'],
          ...['0', '0.25', '0.5', '0.75', '1'],
        ]);
      expect(errors).toEqual([]);
    });
  });

  it('scores a submitted transaction and shows the score, decision and reasons; the alert is listed', async () => {
    await withPage(browser, `${base}/`, async ({ page, errors }) => {
      expect(await page.locator('.note').textContent()).toContain('SYNTHETIC');
      expect(await page.locator('#alerts tbody tr').count()).toBe(0);
      await page.locator('#card').fill(card);
      await page.locator('#amount').fill('25000');
      await page.locator('#merchant').fill('new-shop');
      await page.locator('#country').fill('ZZ');
      await page.locator('#go').click();
      await page.locator('#decision').waitFor();
      expect(await page.locator('#decision').textContent()).toBe('alert');
      expect(Number(await page.locator('#score').textContent())).toBeGreaterThan(0);
      const reasons = await page.locator('#reasons li').allTextContents();
      expect(reasons.length).toBeGreaterThan(0);
      expect(reasons.join(' ')).toMatch(/median|spent|merchant|country/);
      const bar = await page.locator('#reasons .bar').first().boundingBox();
      expect(bar?.width ?? 0).toBeGreaterThan(0);
      await expect.poll(() => page.locator('#alerts tbody tr').count()).toBe(1);
      expect(await page.locator('#alerts tbody tr td').nth(1).textContent()).toBe(card);
      // The time column is the transaction's time (the page sends Date.now()), in UTC to the second, on
      // one line (it was the raw ISO with milliseconds, and wrapped).
      const time = page.locator('#alerts tbody tr td').first();
      expect(await time.textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      // No wrapping (the tests compile without the DOM types, hence the cast).
      type Style = { getComputedStyle(el: unknown): { whiteSpace: string } };
      expect(await time.evaluate((td) => (globalThis as unknown as Style).getComputedStyle(td).whiteSpace)).toBe('nowrap');

      // A negative amount is refused by the schema, and the page says so.
      await page.locator('#amount').fill('-3');
      await page.locator('#go').click();
      await expect.poll(() => page.locator('#error').textContent()).toContain('E_INPUT_INVALID');
      expect(errors.filter((e) => !e.includes('400'))).toEqual([]);
    });
  });
});
