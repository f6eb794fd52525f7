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
