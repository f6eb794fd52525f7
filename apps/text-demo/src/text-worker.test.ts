import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('text worker', () => {
  it('takes only types from the demo kit, so a worker thread never loads the HTTP service', () => {
    // A value import of the kit in a worker loads Fastify and its plugins in every thread
    // (measured: +1.8–2.4 s and +20–32 MB a worker); the pool names the bundle on the main thread.
    const source = readFileSync(new URL('./text-worker.ts', import.meta.url), 'utf8');
    const kitImports = source.split('\n').filter((line) => /from '@appliedml\/demo-kit'/.test(line));
    expect(kitImports.length).toBeGreaterThan(0);
    for (const line of kitImports) expect(line).toMatch(/^import type /);
  });
});
