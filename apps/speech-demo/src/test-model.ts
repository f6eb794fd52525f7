// A small model and real upload files for the service and browser tests: a recogniser trained in a
// few seconds on SYNTHETIC spoken digits (mespeak voices), and words spoken as WAV files.
import { SpeechRecognizer } from '@appliedml/speech';
import { loadSynthetic } from './data';
import { speak } from './synth';

/** A one-layer CNN on 20 synthetic digits (two voices), trained for two epochs: tiny, not accurate. */
export async function quickRecognizer(): Promise<SpeechRecognizer> {
  const data = loadSynthetic(2, 1, 1);
  const model = SpeechRecognizer.create({
    cnn: { filters: [8], dense: 8 },
    augment: false,
    frontEnds: [{}],
    ensemble: 1,
    epochs: 2,
    seed: 1,
  });
  await model.train(data.train, { progress: false });
  return model;
}

/** One spoken digit as a WAV file (22,050 Hz, 16-bit mono), from a voice the model was not trained on. */
export function spokenWav(word: string, variant = 'f1', pitch = 50): Uint8Array {
  return speak(word, { voice: 'en/en-rp', variant, pitch, speed: 170 });
}
