import type { SpeechRecognizerConfig } from '@appliedml/speech';

/** quick: the `npm run demo` run (a few minutes on 2 cores); full: what the bench measures. */
export type Preset = 'quick' | 'full';

export function presetFor(preset: Preset): SpeechRecognizerConfig {
  return preset === 'quick'
    ? { cnn: { filters: [32, 48, 64], dense: 32 }, augment: { copies: 1, timeStretch: null }, frontEnds: [{}], ensemble: 1, epochs: 10 }
    : {};
}

/**
 * Reference numbers for the FSDD table, each naming its protocol and source: the scikit-learn MFCC + SVM
 * peer as this repository's bench ran it (docs/benchmarks/speech.md) beside the figures, and a
 * CNN on other data (SOURCE.md has no peer-reviewed result). The demo said "reference (same data)" of all
 * of them (r2 F12), though the last is on 3 speakers with a random split and the SVM figures were the issue's.
 */
export const FSDD_REFERENCE = [
  { what: "MFCC statistics + RBF SVM (scikit-learn), official split, this repository's bench", accuracy: 0.984 },
  { what: "the same SVM, official split, the issue's figure", accuracy: 0.996 },
  { what: "the same SVM, mean leave-one-speaker-out (unseen speakers), this repository's bench", accuracy: 0.72 },
  { what: "the same SVM, mean leave-one-speaker-out, the issue's figure", accuracy: 0.807 },
  { what: 'Thite "sound-mnist" MFCC + CNN, other data (3 speakers, random split)', accuracy: 0.97 },
];

/** The demo's reference line under its FSDD accuracy. */
export function referenceLine(pct: (v: number) => string): string {
  return 'reference (each with its protocol and source): ' + FSDD_REFERENCE.map((r) => `${r.what} ${pct(r.accuracy)}`).join('; ');
}
