import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions as PlaywrightLaunchOptions, type Page } from 'playwright-core';
import { AppliedMLError } from '@appliedml/engine';

/** Debian's Chromium (`apt-get install chromium`); playwright never downloads a browser of its own here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_HOW_TO_INSTALL =
  'run `bash tools/install-chromium.sh` as root (it runs `apt-get update && apt-get install -y chromium`)';

export interface LaunchOptions {
  /** Default /usr/bin/chromium. */
  executablePath?: string;
  /** Time the browser may take to start (`launchChromium`; default 30 s). */
  launchTimeoutMs?: number;
  /** Per-action timeout for pages (`withPage`; default 15 s). Not used for the launch. */
  timeoutMs?: number;
}

/** What `launchChromium` asks playwright for: headless, no sandbox, the launch timeout only. */
export function chromiumLaunchOptions(options: LaunchOptions = {}): PlaywrightLaunchOptions {
  return {
    executablePath: options.executablePath ?? CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox'],
    timeout: options.launchTimeoutMs ?? 30_000,
  };
}

/**
 * Launches Debian's Chromium headless through playwright-core. A missing browser is a clear
 * E_DEVICE_UNAVAILABLE saying how to install it (browser tests fail rather than skip).
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  if (!existsSync(executablePath))
    throw new AppliedMLError('E_DEVICE_UNAVAILABLE', `Chromium is not installed at ${executablePath}: ${CHROMIUM_HOW_TO_INSTALL}.`, {
      details: { executablePath },
    });
  return chromium.launch(chromiumLaunchOptions({ ...options, executablePath }));
}

export interface PageRun {
  page: Page;
  /** Uncaught page errors and console errors seen so far (a demo page should have none). */
  errors: string[];
}

/**
 * Opens `url` in a fresh context of `browser`, runs `fn`, and closes the context whatever happens.
 * Page errors and console errors are collected for the test to assert on.
 */
export async function withPage<T>(
  browser: Browser,
  url: string,
  fn: (run: PageRun) => Promise<T>,
  options: LaunchOptions = {},
): Promise<T> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(options.timeoutMs ?? 15_000);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(url, { waitUntil: 'load' });
    return await fn({ page, errors });
  } finally {
    await context.close();
  }
}
