import { describe, expect, it } from 'vitest';
import { launchChromium } from './browser';

describe('browser harness', () => {
  it('fails with how to install Chromium when it is missing', async () => {
    await expect(launchChromium({ executablePath: '/nonexistent/chromium' })).rejects.toMatchObject({
      code: 'E_DEVICE_UNAVAILABLE',
      message: expect.stringContaining('tools/install-chromium.sh'),
    });
  });
});
