import { describe, expect, it } from 'vitest';
import { chromiumLaunchOptions, launchChromium } from './browser';

describe('browser harness', () => {
  it('fails with how to install Chromium when it is missing', async () => {
    await expect(launchChromium({ executablePath: '/nonexistent/chromium' })).rejects.toMatchObject({
      code: 'E_DEVICE_UNAVAILABLE',
      message: expect.stringContaining('tools/install-chromium.sh'),
    });
  });

  it('times the launch with launchTimeoutMs, never with the per-action timeoutMs', () => {
    expect(chromiumLaunchOptions({ timeoutMs: 1 }).timeout).toBe(30_000);
    expect(chromiumLaunchOptions({ launchTimeoutMs: 5_000, timeoutMs: 1 })).toMatchObject({ timeout: 5_000, headless: true });
  });
});
