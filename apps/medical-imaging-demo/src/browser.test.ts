import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '@appliedml/demo-kit';
import { launchChromium, withPage } from '@appliedml/demo-kit/browser';
import { resolveDataset } from '@appliedml/engine';
import { DICOM_SAMPLES_DATASET, readImage, readMedicalImage, type ImageClassifier } from '@appliedml/medical-imaging';
import { createMedicalService, inProcess } from './server';
import { phantomPng, quickClassifier } from './test-model';

// The demo as a person uses it: Debian's Chromium (headless, through playwright-core) opens the
// page, chooses an image file, clicks Analyse, and sees the label, the Grad-CAM overlay and, for a
// DICOM file, its tags. No Chromium is a failure that says how to install it, never a skip.
describe('medical imaging demo in a browser', () => {
  let classifier: ImageClassifier;
  let service: Service;
  let base = '';
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    classifier = await quickClassifier();
    service = await createMedicalService(inProcess({ classifier, description: 'phantom classifier (SYNTHETIC), labels clear, lesion' }));
    ({ url: base } = await service.listen());
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close(); // disposes the classifier
  });

  type Img = { complete: boolean; naturalWidth: number; naturalHeight: number };
  const naturalSize = (el: unknown): { complete: boolean; width: number; height: number } => {
    const img = el as Img;
    return { complete: img.complete, width: img.naturalWidth, height: img.naturalHeight };
  };

  it('uploads a PNG and shows the label and the Grad-CAM overlay', async () => {
    const png = await phantomPng(true, 128, 21);
    // What the model says about this very file, in this process: the page must show the same.
    const expected = await classifier.predict((await readMedicalImage(png)).image);
    await withPage(browser, `${base}/`, async ({ page, errors }) => {
      await expect.poll(() => page.locator('#model').textContent()).toContain('labels clear, lesion');
      await page.locator('#file').setInputFiles({ name: 'phantom.png', mimeType: 'image/png', buffer: Buffer.from(png) });
      await page.locator('#go').click();
      await page.locator('#label').waitFor();
      expect(await page.locator('#label').textContent()).toBe(expected.label);
      expect(Number(await page.locator('#score').textContent())).toBeCloseTo(expected.score * 100, 0);
      expect(await page.locator('#meta').textContent()).toContain('PNG, 128 × 128, 8-bit');
      const heatmap = page.locator('#heatmap');
      await expect.poll(() => heatmap.evaluate((el) => (el as unknown as Img).complete)).toBe(true);
      const size = await heatmap.evaluate(naturalSize);
      expect(size.width).toBeGreaterThanOrEqual(256);
      expect(size.height).toBeGreaterThanOrEqual(256);
      // Not a blank picture: the overlay it shows has many colours (jet over the image).
      const src = (await heatmap.getAttribute('src')) ?? '';
      expect(src).toMatch(/^data:image\/png;base64,/);
      const raster = await readImage(Buffer.from(src.slice(src.indexOf(',') + 1), 'base64'));
      expect([raster.width, raster.height, raster.channels]).toEqual([size.width, size.height, 3]);
      const seen = new Set<number>();
      for (let p = 0; p < raster.width * raster.height; p++)
        seen.add((raster.data[3 * p]! << 16) | (raster.data[3 * p + 1]! << 8) | raster.data[3 * p + 2]!);
      const colours = seen.size;
      expect(colours).toBeGreaterThan(50);
      expect(errors).toEqual([]);
    });
  });

  it('uploads a DICOM file and lists its tags, and shows a typed error for a non-image', async () => {
    const data = await resolveDataset(DICOM_SAMPLES_DATASET);
    const dicom = await readFile(join(data.root, 'CT_small.dcm'));
    await withPage(browser, `${base}/`, async ({ page, errors }) => {
      await page.locator('#file').setInputFiles({ name: 'CT_small.dcm', mimeType: 'application/dicom', buffer: dicom });
      await page.locator('#go').click();
      await page.locator('#tags').waitFor();
      expect(await page.locator('#meta').textContent()).toMatch(/^DICOM, /);
      expect(['clear', 'lesion']).toContain(await page.locator('#label').textContent());
      const tags = await page.locator('#tags').textContent();
      expect(tags).toContain('Modality');
      expect(tags).not.toMatch(/Patient's Name|Patient ID|Birth/i);
      expect((await page.locator('#heatmap').evaluate(naturalSize)).width).toBeGreaterThanOrEqual(256);

      await page.locator('#file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
      await page.locator('#go').click();
      await expect.poll(() => page.locator('#error').textContent()).toContain('E_FORMAT_UNSUPPORTED');
      expect(errors.filter((e) => !e.includes('415'))).toEqual([]);
    });
  });

  it('picks a DICOM frame and the gray levels with the page fields and says which frame of how many it analysed', async () => {
    const mri = await readFile(join((await resolveDataset(DICOM_SAMPLES_DATASET)).root, 'emri_small.dcm'));
    await withPage(browser, `${base}/`, async ({ page, errors }) => {
      await page.locator('#file').setInputFiles({ name: 'emri_small.dcm', mimeType: 'application/dicom', buffer: mri });
      await page.locator('#go').click();
      await page.locator('#tags').waitFor();
      expect(await page.locator('#frame-note').textContent()).toBe('frame 0 of 10 analysed (numbered from 0)');
      await page.locator('#frame').fill('3');
      await page.locator('#voi').selectOption('minmax');
      await page.locator('#go').click();
      await expect.poll(() => page.locator('#frame-note').textContent()).toBe('frame 3 of 10 analysed (numbered from 0)');
      expect(await page.locator('#meta').textContent()).toContain('stretched (voi minmax)');
      await page.locator('#frame').fill('10');
      await page.locator('#go').click();
      await expect
        .poll(() => page.locator('#error').textContent())
        .toBe('E_INPUT_INVALID: frame 10 is out of range: this DICOM file has 10 frames, numbered 0 to 9.');
      expect(errors.filter((e) => !e.includes('400'))).toEqual([]);
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
