import { AppliedMLError, dataDirFromEnv } from '@appliedml/engine';
import { addNoise, decodeWav, encodeWav, fsddOfficialSplit, readFsdd, type SpeechExample } from '@appliedml/speech';
import { createRng } from '@appliedml/engine';
import { synthDigits } from './synth';

export interface DemoData {
  name: string;
  /** What the data is, shown in the CLI and the report (the synthetic set says it is synthetic). */
  note: string;
  train: SpeechExample[];
  test: SpeechExample[];
  /** A few test recordings as WAV bytes, for pictures and the sequence demo. */
  samples: Array<{ wav: Uint8Array; label: string }>;
}

export function hasDataDir(): boolean {
  return dataDirFromEnv() !== undefined;
}

/** FSDD (official split: recordings 0–4 of each digit and speaker are test), optionally a subset of training indices. */
export async function loadFsdd(maxTrainIndex = 49): Promise<DemoData> {
  const all = await readFsdd();
  const { train, test } = fsddOfficialSplit(all);
  const ex = (r: { path: string; label: string }): SpeechExample => ({ audio: r.path, label: r.label });
  const { readFileSync } = await import('node:fs');
  return {
    name: 'fsdd',
    note: `Free Spoken Digit Dataset v1.0.10 (CC BY-SA 4.0), 5 speakers, official split${maxTrainIndex < 49 ? ` (training recordings 5–${maxTrainIndex} only)` : ''}`,
    train: train.filter((r) => r.index <= maxTrainIndex).map(ex),
    test: test.map(ex),
    samples: test.filter((r) => r.index === 0 && r.speaker === 'jackson').map((r) => ({ wav: readFileSync(r.path), label: r.label })),
  };
}

/**
 * The offline default: SYNTHETIC digits from mespeak. Speakers are eSpeak voice × variant; the test
 * speakers are not in training (the unseen-speaker setting), and every utterance gets noise.
 */
export function loadSynthetic(trainSpeakers = 8, testSpeakers = 2, repeats = 2): DemoData {
  const all = synthDigits(trainSpeakers + testSpeakers, repeats);
  const rng = createRng(5);
  const noisy = all.map((u) => {
    const d = decodeWav(u.wav);
    return { ...u, wav: encodeWav(addNoise(d.samples, 20 + 15 * rng.next(), rng), d.sampleRate) };
  });
  const testNames = new Set(noisy.map((u) => u.speaker).slice(-testSpeakers * repeats * 10));
  const train = noisy.filter((u) => !testNames.has(u.speaker));
  const test = noisy.filter((u) => testNames.has(u.speaker));
  if (train.length === 0 || test.length === 0) throw new AppliedMLError('E_INTERNAL', 'The synthetic set came out empty.');
  return {
    name: 'synthetic (mespeak)',
    note: `SYNTHETIC speech: digits spoken by mespeak/eSpeak, ${trainSpeakers} voices for training and ${testSpeakers} unseen voices for testing, varied pitch, speed and noise. Not real speakers.`,
    train: train.map((u) => ({ audio: u.wav, label: u.label })),
    test: test.map((u) => ({ audio: u.wav, label: u.label })),
    samples: test.filter((u, i) => i < 10).map((u) => ({ wav: u.wav, label: u.label })),
  };
}
