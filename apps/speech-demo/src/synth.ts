import { createRequire } from 'node:module';
import { AppliedMLError } from '@appliedml/engine';

/**
 * Synthetic spoken digits from mespeak (a JavaScript build of eSpeak; GPL — which is why only this
 * demo app depends on it, never the SDK). Voices, eSpeak variants, pitch, speed and noise vary so
 * that the set is not one voice saying each word once. It is synthetic speech and says so.
 */
const require = createRequire(import.meta.url);

interface MeSpeak {
  loadConfig(config: unknown): void;
  loadVoice(voice: unknown): void;
  speak(text: string, options: Record<string, unknown>): Uint8Array | null;
}

export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
export const SYNTH_VOICES = ['en/en', 'en/en-us', 'en/en-rp', 'en/en-sc', 'en/en-n', 'en/en-wm'];
export const SYNTH_VARIANTS = ['', 'm1', 'm2', 'm3', 'm4', 'f1', 'f2', 'f3', 'f4', 'croak'];

let engine: MeSpeak | undefined;
let calls = 0;
/**
 * mespeak 2.0.2's eSpeak build leaks file handles in its in-memory file system: after about 70 words
 * it fails ("Bad data: en_dict") and then aborts the process. A fresh instance every 50 words avoids it.
 */
const CALLS_PER_INSTANCE = 50;

/**
 * eSpeak's breath noise (the variants with a `breath` line: f2 and f3 of SYNTH_VARIANTS, f5) draws from the C library's
 * rand(), whose state lives in the mespeak instance and carries over from one word to the next: the same
 * call gives other samples after other breathy words on the instance. `fresh` starts a new instance.
 */
function mespeak(fresh = false): MeSpeak {
  if (engine && calls < CALLS_PER_INSTANCE && !fresh) return engine;
  for (const key of Object.keys(require.cache)) if (/[\\/]mespeak[\\/]src[\\/]/.test(key)) delete require.cache[key];
  calls = 0;
  // mespeak logs "Not in browser" on load; keep the demo's output clean.
  const { log, warn } = console;
  console.log = () => undefined;
  console.warn = () => undefined;
  try {
    const m = require('mespeak') as MeSpeak;
    m.loadConfig(require('mespeak/src/mespeak_config.json'));
    for (const v of SYNTH_VOICES) m.loadVoice(require(`mespeak/voices/${v}.json`));
    engine = m;
    return m;
  } finally {
    console.log = log;
    console.warn = warn;
  }
}

export interface SynthOptions {
  voice: string;
  variant: string;
  /** eSpeak pitch 0–99 (default 50). */
  pitch: number;
  /** Words per minute (default 175). */
  speed: number;
}

/**
 * One spoken word as WAV bytes (22,050 Hz, 16-bit mono). A voice variant with breath noise (f2, f3)
 * gives other samples for the same call depending on the breathy words spoken before it in the process
 * (eSpeak's rand() state); `synthDigits` starts afresh, so its words do not depend on earlier calls.
 */
export function speak(text: string, o: SynthOptions): Uint8Array {
  const m = mespeak();
  calls++;
  const log = console.log;
  console.log = () => undefined;
  try {
    const out = m.speak(text, {
      rawdata: 'buffer',
      voice: o.voice,
      pitch: o.pitch,
      speed: o.speed,
      ...(o.variant ? { variant: o.variant } : {}),
    });
    if (!out || out.length < 100) throw new AppliedMLError('E_INTERNAL', `mespeak produced no audio for '${text}'.`, { details: { text } });
    return new Uint8Array(out);
  } finally {
    console.log = log;
  }
}

export interface SynthUtterance {
  wav: Uint8Array;
  label: string;
  /** "voice/variant": the synthetic speaker. */
  speaker: string;
}

/**
 * Every digit said by `speakers` synthetic speakers (voice × variant), `repeats` times with other pitch and
 * speed. The same arguments give the same bytes whatever was spoken before in the process: the words start
 * on a fresh mespeak instance (the breathy variants' noise would otherwise continue from earlier calls).
 */
export function synthDigits(speakers: number, repeats: number, seed = 1): SynthUtterance[] {
  mespeak(true);
  let s = seed;
  const rand = (): number => (s = (s * 16807) % 2147483647) / 2147483647;
  const out: SynthUtterance[] = [];
  for (let k = 0; k < speakers; k++) {
    const voice = SYNTH_VOICES[k % SYNTH_VOICES.length] as string;
    const variant = SYNTH_VARIANTS[(k * 3) % SYNTH_VARIANTS.length] as string;
    for (let r = 0; r < repeats; r++) {
      const pitch = Math.round(25 + 50 * rand());
      const speed = Math.round(130 + 80 * rand());
      DIGIT_WORDS.forEach((word, d) =>
        out.push({ wav: speak(word, { voice, variant, pitch, speed }), label: String(d), speaker: `${voice}/${variant || 'default'}` }),
      );
    }
  }
  return out;
}
