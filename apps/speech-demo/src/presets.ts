import type { SpeechRecognizerConfig } from '@appliedml/speech';

/** quick: the `npm run demo` run (a few minutes on 2 cores); full: what the bench measures. */
export type Preset = 'quick' | 'full';

export function presetFor(preset: Preset): SpeechRecognizerConfig {
  return preset === 'quick'
    ? { cnn: { filters: [32, 48, 64], dense: 32 }, augment: { copies: 1, timeStretch: null }, frontEnds: [{}], ensemble: 1, epochs: 10 }
    : {};
}

/** Reference numbers for the FSDD table (the scikit-learn peer; SOURCE.md has no peer-reviewed result). */
export const FSDD_REFERENCE = [
  { what: 'MFCC statistics + RBF SVM (scikit-learn), official split', accuracy: 0.996 },
  { what: 'same SVM, mean leave-one-speaker-out (unseen speakers)', accuracy: 0.807 },
  { what: 'Thite "sound-mnist" MFCC + CNN, 3 speakers, random split', accuracy: 0.97 },
];
