import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '@appliedml/demo-kit';
import { launchChromium, withPage } from '@appliedml/demo-kit/browser';
import { decodeWav, encodeWav, readAudio, readFsdd, type SpeechRecognizer } from '@appliedml/speech';
import { createSpeechService, inProcess } from './server';
import { quickRecognizer, spokenWav } from './test-model';

// The demo as a person uses it: Debian's Chromium (headless, through playwright-core) opens the
// page, chooses a WAV file, clicks Recognise, and sees the word, the scores and the MFCC picture.
// No Chromium is a failure that says how to install it, never a skip.
describe('speech demo in a browser', () => {
  let model: SpeechRecognizer;
  let service: Service;
  let base = '';
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    model = await quickRecognizer();
    service = await createSpeechService(inProcess(model));
    ({ url: base } = await service.listen());
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close(); // disposes the model
  });

  type Img = { complete: boolean; naturalWidth: number; naturalHeight: number };
  const naturalSize = (el: unknown): { complete: boolean; width: number; height: number } => {
    const img = el as Img;
    return { complete: img.complete, width: img.naturalWidth, height: img.naturalHeight };
  };

  /** Choose `wav` in the page's file input, click Recognise, and check the word and the MFCC picture. */
  async function recogniseInPage(name: string, wav: Uint8Array): Promise<void> {
    // What the model says about this very file, in this process: the page must show the same.
    const expected = await model.recognize(wav);
    await withPage(browser, `${base}/`, async ({ page, errors }) => {
      await expect.poll(() => page.locator('#model').textContent()).toContain(`Labels: ${model.labels.join(', ')}`);
      await page.locator('#file').setInputFiles({ name, mimeType: 'audio/wav', buffer: Buffer.from(wav) });
      await page.locator('#go').click();
      await page.locator('#label').waitFor();
      expect(await page.locator('#label').textContent()).toBe(expected.label);
      expect(await page.locator('#warning').count()).toBe(0); // one word: no several-words warning
      expect(await page.locator('#scores > div').count()).toBe(5);
      expect(await page.locator('#scores').textContent()).toContain(`${(expected.score * 100).toFixed(1)} %`);
      expect(await page.locator('#timing').textContent()).toMatch(/^speech \d+\.\d\d–\d+\.\d\d s, \d+\.\d ms$/);
      const mfcc = page.locator('#mfcc');
      await expect.poll(() => mfcc.evaluate((el) => (el as unknown as Img).complete)).toBe(true);
      const size = await mfcc.evaluate(naturalSize);
      // 13 coefficients × 8 px high; 3 px per 10 ms frame across the word.
      expect(size.height).toBe(13 * 8);
      expect(size.width).toBeGreaterThanOrEqual(90);
      expect(errors).toEqual([]);
    });
  }

  it('uploads a spoken digit (FSDD recording) and shows the word, the scores and the MFCC picture', async () => {
    const recording = (await readFsdd()).find((r) => r.label === '7' && r.speaker === 'jackson' && r.index === 0);
    expect(recording).toBeDefined();
    const wav = await readFile(recording!.path);
    expect((await readAudio(wav)).durationSeconds).toBeGreaterThan(0.2);
    await recogniseInPage('7_jackson_0.wav', wav);
  });

  it('uploads a synthetic spoken word, and shows a typed error for a file that is no WAV', async () => {
    await recogniseInPage('three.wav', spokenWav('three'));
    await withPage(browser, `${base}/`, async ({ page, errors }) => {
      await page.locator('#file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a <b>wav</b>') });
      await page.locator('#go').click();
      await expect.poll(() => page.locator('#error').textContent()).toContain('E_FORMAT_UNSUPPORTED');
      expect(await page.locator('#error').textContent()).not.toContain('<b>');
      expect(errors.filter((e) => !e.includes('415'))).toEqual([]);
    });
  });

  it('warns above the word when the upload holds several words, and points to POST /sequence', async () => {
    const rate = model.sampleRate;
    const gap = new Float32Array(Math.round(0.4 * rate));
    const words = ['one', 'five'].map((w) => decodeWav(spokenWav(w), { targetSampleRate: rate }).samples);
    const joined = encodeWav(Float32Array.from([...gap, ...words[0]!, ...gap, ...words[1]!, ...gap]), rate);
    await withPage(browser, `${base}/`, async ({ page, errors }) => {
      await page.locator('#file').setInputFiles({ name: '15.wav', mimeType: 'audio/wav', buffer: Buffer.from(joined) });
      await page.locator('#go').click();
      await page.locator('#label').waitFor();
      expect(await page.locator('#warning').textContent()).toMatch(/^This recording seems to hold 2 words .*send it to POST \/sequence\.$/);
      expect(await page.locator('small').textContent()).toContain('POST /sequence');
      expect(errors).toEqual([]);
    });
  });

  it('links the OpenAPI page, which renders offline from the service itself', async () => {
    await withPage(browser, `${base}/`, async ({ page }) => {
      await page.locator('#api').click();
      await page.locator('.swagger-ui .opblock').first().waitFor();
      const ops = await page.locator('.opblock-summary-path').allTextContents();
      expect(ops.map((o) => o.replace(/\u200b/g, ''))).toEqual(
        expect.arrayContaining(['/recognize', '/sequence', '/info', '/healthz', '/readyz']),
      );
    });
  });
});
