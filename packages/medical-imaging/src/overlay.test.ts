import { describe, expect, it } from 'vitest';
import { codeOf as code } from './test-discs';
import { readImage } from './image-reader';
import { grayToPng, heatmapOverlayPng, maskOverlayPng } from './overlay';

const image = { width: 8, height: 4, data: Float32Array.from({ length: 32 }, (_, i) => i / 31) };

describe('PNG overlays', () => {
  it('draws a heatmap of another size over the image, scaled to the requested width', async () => {
    const heat = { width: 2, height: 2, data: Float32Array.from([0, 0.2, 0.6, 1]) };
    const png = await heatmapOverlayPng(image, heat, { width: 16 });
    const back = await readImage(png);
    expect([back.width, back.height, back.channels]).toEqual([16, 8, 3]);
  });

  it('fills a mask and outlines the truth; the plain image too', async () => {
    const mask = { width: 8, height: 4, data: Float32Array.from({ length: 32 }, (_, i) => (i % 8 < 4 ? 1 : 0)) };
    const png = await maskOverlayPng(image, mask, { truth: mask });
    const back = await readImage(png);
    expect(back.data[0]).toBe(255); // truth outline in red at the corner
    expect((await readImage(await grayToPng(image))).width).toBe(8);
  });

  it('refuses a mask whose size differs from its image: E_SHAPE_MISMATCH', async () => {
    const mask = { width: 4, height: 4, data: new Float32Array(16) };
    await expect(maskOverlayPng(image, mask)).rejects.toMatchObject({ code: 'E_SHAPE_MISMATCH' });
  });

  it('a very tall image renders with its long side capped at 8192 pixels, aspect ratio kept', async () => {
    const tall = { width: 1, height: 60_000, data: new Float32Array(60_000).fill(0.5) };
    const back = await readImage(await grayToPng(tall, { width: 256 }));
    expect(back.height).toBe(8192);
    expect(back.width).toBe(1); // 256 × 8192 / 15,360,000 rounds to 0: at least one pixel
  });
});

describe('overlay options', () => {
  const mask = { width: 8, height: 4, data: Float32Array.from({ length: 32 }, (_, i) => i % 2) };

  it('refuses misspelt names, null options, a colour that is not three values in 0..255 and alpha outside [0, 1] (E_INPUT_INVALID)', async () => {
    expect(
      (await maskOverlayPng(image, mask, { color: [255, 0, 0], truthColor: [0, 0, 255], alpha: 1, truth: mask })).length,
    ).toBeGreaterThan(0);
    expect((await maskOverlayPng(image, mask, undefined)).length).toBeGreaterThan(0);
    await expect(maskOverlayPng(image, mask, { colour: [1, 2, 3] } as never)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringMatching(/maskOverlayPng options has no option 'colour'; valid: width, alpha, color, truth, truthColor/),
    });
    for (const color of ['red', [300, -1, NaN], [1, 2], [0, 0, 256], null])
      expect(await code(() => maskOverlayPng(image, mask, { color } as never)), JSON.stringify(color)).toBe('E_INPUT_INVALID');
    expect(await code(() => maskOverlayPng(image, mask, { truthColor: 'blue' } as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => maskOverlayPng(image, mask, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => heatmapOverlayPng(image, image, { alpha: 5 }))).toBe('E_INPUT_INVALID');
    expect(await code(() => heatmapOverlayPng(image, image, { widht: 16 } as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => grayToPng(image, { alpha: NaN }))).toBe('E_INPUT_INVALID');
  });
});
