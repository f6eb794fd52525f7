import { describe, expect, it, vi } from 'vitest';

// A worker thread that loads the HTTP service (Fastify and its plugins, through a value import of
// the demo kit, here or in any module the worker imports) pays for it in every thread: measured
// +1.8–2.4 s and +20–32 MB a worker (b01fb29). Any import of fastify from the worker's module graph
// throws here.
vi.mock('fastify', () => {
  throw new Error('the text worker loaded fastify');
});

describe('text worker', () => {
  it('loads the SDK, never the HTTP service', async () => {
    const worker = await import('./text-worker');
    expect(typeof worker.load).toBe('function');
  });
});
