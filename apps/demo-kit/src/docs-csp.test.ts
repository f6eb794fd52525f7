// Found in session 30: every OpenAPI page (/docs) logged a CSP error in the browser console, "Applying inline
// style violates the following Content Security Policy directive 'style-src 'self' https:'": swagger-ui
// applies one inline style, which the page's style-src (staticCSP) did not allow. It is allowed by its hash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, withPage } from './browser';
import { createService, SWAGGER_UI_STYLE_HASH, type Service } from './service';

let service: Service;
let url = '';
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  service = await createService({
    name: 'docs-csp',
    routes: (app) => {
      app.get('/hello', { schema: { summary: 'Says hello.', response: { 200: { type: 'string' } } } }, async () => 'hello');
    },
  });
  ({ url } = await service.listen());
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
});

describe('the OpenAPI page under its Content-Security-Policy', () => {
  it('renders without a console error; its style-src allows that one style by hash, not any inline style', async () => {
    const csp = (await fetch(`${url}/docs/static/index.html`)).headers.get('content-security-policy') ?? '';
    const styleSrc = /style-src ([^;]*)/.exec(csp)?.[1] ?? '';
    expect(styleSrc).toContain(SWAGGER_UI_STYLE_HASH);
    expect(styleSrc).not.toContain('unsafe-inline');
    expect(csp).not.toContain('upgrade-insecure-requests');
    await withPage(browser, `${url}/docs`, async ({ page, errors }) => {
      await page.locator('.swagger-ui .opblock').first().click();
      await page.locator('.swagger-ui .opblock-body').first().waitFor();
      await page.waitForTimeout(300);
      expect(errors).toEqual([]);
    });
  }, 60_000);
});
