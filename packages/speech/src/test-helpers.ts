import { AppliedMLError } from '@appliedml/engine';
import type { SpeechExample, SpeechRecognizerConfig } from './speech-recognizer';

/**
 * Tiny synthetic "words" for fast lifecycle tests: a rising chirp, a falling chirp and a two-tone
 * warble, each with a seeded variation of pitch, length and noise, surrounded by a little silence.
 */
export const SYNTH_RATE = 8000;

export function synthWord(label: 'up' | 'down' | 'warble', variant: number, rate = SYNTH_RATE): Float32Array {
  let seed = 1 + variant * 7919 + label.length * 104729;
  const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const seconds = 0.35 + 0.2 * rand();
  const lead = Math.round((0.05 + 0.1 * rand()) * rate);
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n + 2 * lead);
  const f0 = 300 + 200 * rand();
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / n;
    const f =
      label === 'up' ? f0 * (1 + 2 * t) : label === 'down' ? f0 * (3 - 2 * t) : f0 * (1.5 + 0.5 * Math.sign(Math.sin(2 * Math.PI * 6 * t)));
    phase += (2 * Math.PI * f) / rate;
    const env = Math.sin(Math.PI * t);
    out[lead + i] = 0.4 * env * (Math.sin(phase) + 0.3 * Math.sin(2 * phase));
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (rand() - 0.5) * 0.004;
  return out;
}

export function synthSet(perLabel: number, offset = 0): SpeechExample[] {
  const out: SpeechExample[] = [];
  for (let v = 0; v < perLabel; v++)
    for (const label of ['up', 'down', 'warble'] as const) out.push({ audio: synthWord(label, v + offset), label, sampleRate: SYNTH_RATE });
  return out;
}

/** The error code `fn` throws (or rejects with), `untyped …` for another error, 'no error' otherwise. */
export async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return AppliedMLError.isInstance(e) ? e.code : `untyped ${String(e)}`;
  }
  return 'no error';
}

/** The typed error `fn` throws (synchronously); fails the test when it throws nothing or an untyped error. */
export function errorOf(fn: () => unknown): AppliedMLError {
  try {
    fn();
  } catch (e) {
    if (AppliedMLError.isInstance(e)) return e;
    throw new Error(`untyped error: ${String(e)}`, { cause: e });
  }
  throw new Error('no error');
}

/** The typed error `fn` throws or rejects with; fails the test when it throws nothing or an untyped error. */
export async function rejectionOf(fn: () => unknown): Promise<AppliedMLError> {
  try {
    await fn();
  } catch (e) {
    if (AppliedMLError.isInstance(e)) return e;
    throw new Error(`untyped error: ${String(e)}`);
  }
  throw new Error('no error');
}

/** The smallest recognizer the lifecycle tests train (one tiny CNN, one epoch). */
export const TINY_CONFIG: SpeechRecognizerConfig = {
  cnn: { filters: [4], dense: 4 },
  augment: false,
  frontEnds: [{}],
  ensemble: 1,
  epochs: 1,
  batchSize: 8,
  seed: 1,
};

/**
 * A hand-built WAV file for the layouts encodeWav does not write (any format tag: µ-law, 64-bit float, …):
 * the RIFF header, a 16-byte fmt chunk, the `before` chunks (a LIST chunk, …), then a data chunk that
 * declares `dataBytes` (default: the length of `data`; another value makes a truncated, overlong or
 * streaming file) and holds `data`.
 */
export function wavBytes(
  format: number,
  channels: number,
  rate: number,
  bits: number,
  data: Uint8Array,
  { dataBytes = data.length, before = new Uint8Array(0) }: { dataBytes?: number; before?: Uint8Array } = {},
): Uint8Array {
  const out = new Uint8Array(44 + before.length + data.length);
  const v = new DataView(out.buffer);
  out.set(Buffer.from('RIFF'), 0);
  v.setUint32(4, out.length - 8, true);
  out.set(Buffer.from('WAVEfmt '), 8);
  v.setUint32(16, 16, true);
  v.setUint16(20, format, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, (rate * channels * bits) / 8, true);
  v.setUint16(32, (channels * bits) / 8, true);
  v.setUint16(34, bits, true);
  out.set(before, 36);
  const at = 36 + before.length;
  out.set(Buffer.from('data'), at);
  v.setUint32(at + 4, dataBytes, true);
  out.set(data, at + 8);
  return out;
}

/**
 * Runs `work` while a 5 ms timer watches the event loop: the longest time between two of its ticks, in
 * wall time and in this process's CPU time (what a busy machine's other processes do not add to).
 */
export async function longestPause<T>(work: () => Promise<T>): Promise<{ result: T; wallMs: number; cpuMs: number }> {
  let wallMs = 0;
  let cpuMs = 0;
  let at = performance.now();
  let cpuAt = process.cpuUsage();
  const timer = setInterval(() => {
    const used = process.cpuUsage(cpuAt);
    wallMs = Math.max(wallMs, performance.now() - at);
    cpuMs = Math.max(cpuMs, (used.user + used.system) / 1000);
    at = performance.now();
    cpuAt = process.cpuUsage();
  }, 5);
  try {
    const result = await work();
    await new Promise((resolve) => setTimeout(resolve, 20)); // a tick after the work's last stretch
    return { result, wallMs, cpuMs };
  } finally {
    clearInterval(timer);
  }
}
