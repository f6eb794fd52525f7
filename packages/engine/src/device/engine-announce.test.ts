import { afterEach, describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import type { Logger } from '../logger';
import { doctor, formatDoctor } from '../doctor';
import { initEngine } from './engine';

// Its own file: the announcement is once per process (per module instance), so it needs a fresh engine.
function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: { debug() {}, info: (m) => void lines.push(m), warn() {} } };
}

const saved = process.env.APPLIEDML_DEVICE;
afterEach(() => {
  if (saved === undefined) delete process.env.APPLIEDML_DEVICE;
  else process.env.APPLIEDML_DEVICE = saved;
});

describe('device choice and its announcement', () => {
  it('auto tells the first logger it is given, even after quiet calls, and only once', async () => {
    delete process.env.APPLIEDML_DEVICE;
    await initEngine(); // an SDK loading without a logger
    await initEngine({ device: 'auto' });
    const first = recorder();
    await Promise.all([initEngine({ logger: first.logger }), initEngine({ logger: first.logger })]);
    expect(first.lines).toEqual([expect.stringMatching(/^device: wasm /)]);
    const second = recorder();
    await initEngine({ logger: second.logger });
    expect(second.lines).toEqual([]);
  });

  it('APPLIEDML_DEVICE is the default device; an explicit device wins; a bad value names the variable and the valid ones', async () => {
    process.env.APPLIEDML_DEVICE = 'js';
    expect((await initEngine()).device).toBe('js');
    expect((await initEngine({ device: 'wasm' })).device).toBe('wasm');
    process.env.APPLIEDML_DEVICE = '  ';
    expect((await initEngine()).device).toBe('wasm');
    process.env.APPLIEDML_DEVICE = 'gpu';
    const err = await initEngine().catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(err, 'E_DEVICE_INVALID'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/APPLIEDML_DEVICE is "gpu"\. Valid devices: auto, cuda, cpu, wasm, js/);
  });

  it('the doctor without --device reports the device APPLIEDML_DEVICE selects, as the SDKs would use it', async () => {
    process.env.APPLIEDML_DEVICE = 'js';
    const report = await doctor();
    expect(report.info.device).toBe('js');
    expect(report.advice.join(' ')).toMatch(/pure-JS backend/);
    // Devices before the one asked for were not tried because it was asked for, not because one was taken.
    expect(formatDoctor(report)).toMatch(/cuda[^\n]*\n\s+not tried \(device 'js' was asked for\)/);
    expect(formatDoctor(report)).not.toMatch(/an earlier device was taken/);
    const auto = { ...report, info: { ...report.info, requested: 'auto' as const, attempts: report.info.attempts.slice(-1) } };
    expect(formatDoctor(auto)).toMatch(/cuda[^\n]*\n\s+not tried \(an earlier device was taken\)/);
    expect((await doctor('wasm')).info.device).toBe('wasm');
  });
});
