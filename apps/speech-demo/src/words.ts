// Apart from recognition.ts (which loads sharp for its pictures): the CLI's recognize counts words with it.
import { detectSpeech, SEQUENCE_VAD_DEFAULTS } from '@appliedml/speech';

/**
 * The least voiced time (in ms) a speech segment holds to count as a word: every spoken digit has a vowel,
 * whose frames repeat at the voice's pitch; a breath, a click or a lip smack is noise and has none. Measured
 * on FSDD (every 10th of its 2,500 one-digit recordings, plain and with a 300 ms breath-like noise burst
 * 150 or 400 ms before the word at -6 to -30 dB, with and without background noise; and 540 joins of 2, 3 or
 * 4 digits of one speaker with 150-400 ms pauses): 30 and 50 ms warned no single word and every join; 80 ms
 * missed 4 two-digit joins. Without it, 994 of 1,000 breaths at -12 dB and 621 at -30 dB were warned.
 */
const MIN_VOICED_MS = 50;
/** A frame is voiced when its normalised autocorrelation peaks this high at a lag of a 60-400 Hz pitch. */
const VOICED_CORRELATION = 0.6;

/** Whether `x` (one speech segment) holds at least `MIN_VOICED_MS` of voiced frames (30 ms frames, 10 ms apart). */
function isVoiced(x: Float32Array, sampleRate: number): boolean {
  const frame = Math.round(0.03 * sampleRate);
  const hop = Math.max(1, Math.round(0.01 * sampleRate));
  const shortest = Math.max(1, Math.floor(sampleRate / 400));
  const longest = Math.ceil(sampleRate / 60);
  const needed = Math.ceil(MIN_VOICED_MS / 10);
  let voiced = 0;
  for (let at = 0; at + frame + longest <= x.length; at += hop) {
    let energy = 0;
    for (let i = 0; i < frame; i++) energy += x[at + i]! * x[at + i]!;
    if (energy === 0) continue;
    for (let lag = shortest; lag <= longest; lag++) {
      let product = 0;
      let lagged = 0;
      for (let i = 0; i < frame; i++) {
        product += x[at + i]! * x[at + i + lag]!;
        lagged += x[at + i + lag]! * x[at + i + lag]!;
      }
      if (product >= VOICED_CORRELATION * Math.sqrt(energy * lagged)) {
        if (++voiced >= needed) return true;
        break;
      }
    }
  }
  return false;
}

/**
 * How many words a recording at `sampleRate` seems to hold: its speech segments as `recognizeSequence`
 * (`POST /sequence`, `recognize --sequence`) finds them (the SDK's `detectSpeech` with its sequence
 * settings), counting only those with a voice in them (MIN_VOICED_MS): a breath or click before a single
 * word was a second "word" (RF2: 248 of 250 FSDD digits with a breath at -12 dB warned, 155 at -30 dB).
 * On the FSDD measure above, no single digit is warned and every join of 2-4 digits is. Of FSDD's 2,500
 * recordings none counts two (8_theo_21 and _22 did) and 9 count none (a 'five' or 'six' with too little
 * voice by this measure: not warned; in a digit string such a word goes uncounted, so the count may be low).
 */
export function wordsIn(samples: Float32Array, sampleRate: number): number {
  return detectSpeech(samples, sampleRate, SEQUENCE_VAD_DEFAULTS).filter((s) => isVoiced(samples.subarray(s.start, s.end), sampleRate))
    .length;
}
