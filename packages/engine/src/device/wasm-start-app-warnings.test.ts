// While the wasm backend starts, console.warn is replaced process-wide to catch the glue's lines (why a
// start failed). The application's own warnings in that window (a timer's, another request's) were
// swallowed into the engine's debug log as 'wasm: …' (review R5-2): they reach the console as before.
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../logger';
import { initEngine } from './engine';
import { captureGlueWarnings, isGlueLine } from './wasm-start';

const originalWarn = console.warn;
afterEach(() => {
  console.warn = originalWarn;
});

describe("the application's console.warn while the wasm backend starts", () => {
  it("reaches the console.warn from before, not the engine's debug log", async () => {
    const printed: unknown[][] = [];
    console.warn = (...args: unknown[]) => void printed.push(args);
    const debug: string[] = [];
    const logger: Logger = { debug: (m: string) => void debug.push(m), info: () => undefined, warn: () => undefined };
    let ticks = 0;
    const timer = setInterval(() => console.warn('APP WARNING', ++ticks), 1);
    try {
      const info = await initEngine({ device: 'wasm', logger });
      expect(info.device).toBe('wasm');
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0); // the timer did fire while the backend started
    expect(printed).toEqual(Array.from({ length: ticks }, (_, i) => ['APP WARNING', i + 1]));
    expect(debug.filter((m) => m.includes('APP WARNING'))).toEqual([]);
    expect(console.warn).not.toBe(originalWarn); // the test's own console.warn is back in place
  });

  it("keeps the glue's lines (one string, as the glue prints) and passes every other call on", () => {
    const printed: unknown[][] = [];
    console.warn = (...args: unknown[]) => void printed.push(args);
    const glue = captureGlueWarnings();
    const glueWarn = console.warn.bind(console); // what the glue keeps when its module is created
    glueWarn("Aborted(Error: ENOENT: no such file or directory, open '/srv/x.wasm')");
    glueWarn('falling back to ArrayBuffer instantiation');
    const error = new Error('app failure');
    console.warn('cache miss for', 'user-7');
    console.warn(error);
    console.warn('Aborted(', 2); // the glue's start, but not one string
    glue.stop();
    glueWarn('wasm streaming compile failed: later');
    expect(glue.lines).toEqual([
      "Aborted(Error: ENOENT: no such file or directory, open '/srv/x.wasm')",
      'falling back to ArrayBuffer instantiation',
    ]);
    expect(printed).toEqual([['cache miss for', 'user-7'], [error], ['Aborted(', 2], ['wasm streaming compile failed: later']]);
    expect(isGlueLine(['exiting due to exception: x'])).toBe(true);
    expect(isGlueLine(['warning: low disk'])).toBe(false);
  });
});

// Session 22 review R6-1: after stop, a call was passed to whatever console.warn was then; code that had
// wrapped console.warn during the start (an error tracker, a test spy) calls the capture, which called the
// wrapper back: every console.warn in the process then threw "Maximum call stack size exceeded".
describe('console.warn wrapped while the wasm backend starts', () => {
  it('keeps working after the start: the wrapper reaches the console.warn from before, once', async () => {
    const printed: unknown[][] = [];
    console.warn = (...args: unknown[]) => void printed.push(args);
    const glue = captureGlueWarnings();
    const glueWarn = console.warn.bind(console);
    const previous = console.warn;
    console.warn = (...args: unknown[]) => previous('[app]', ...args);
    glue.stop();
    console.warn('x');
    glueWarn('Aborted(later)');
    expect(printed).toEqual([['[app]', 'x'], ['Aborted(later)']]);
  });
});
