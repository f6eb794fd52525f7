// Compiled (never run) by tsc in the scratch consumer with `module: node16`: the five SDKs' CommonJS
// declarations (dist/index.d.ts), reached through `require`.
import engine = require('@appliedml/engine');
import fraud = require('@appliedml/fraud');
import medical = require('@appliedml/medical-imaging');
import speech = require('@appliedml/speech');
import text = require('@appliedml/text');
import traffic = require('@appliedml/traffic');

export function versions(): string[] {
  return [engine.ENGINE_VERSION, fraud.FRAUD_VERSION, text.TEXT_VERSION, speech.SPEECH_VERSION, traffic.PACKAGE_VERSION];
}

export async function scores(rows: Record<string, number>[]): Promise<number[]> {
  const model = await fraud.FraudDetector.load('models/fraud');
  try {
    return (await model.predictBatch(rows)).map((p: fraud.FraudPrediction) => p.score);
  } finally {
    model.dispose();
  }
}

export function sentiment(sentence: string): text.SentimentResult {
  return new text.SentimentScorer().score(sentence);
}

export function png(width: number, height: number): Promise<Uint8Array> {
  return medical.grayToPng({ width, height, data: new Float32Array(width * height) });
}

export const kinds: readonly string[] = [...traffic.MODEL_KINDS, ...speech.MODEL_TYPES];
