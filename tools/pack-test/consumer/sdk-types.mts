// Compiled (never run) by tsc in the scratch consumer with `module: node16`: the five SDKs' ES-module
// declarations (dist/index.d.mts), used the way a strict TypeScript service would.
import { AppliedMLError } from '@appliedml/engine';
import { FraudDetector, type FraudDetectorConfig, type FraudPrediction } from '@appliedml/fraud';
import { ImageClassifier, type ClassPrediction, type ImageClassifierConfig } from '@appliedml/medical-imaging';
import { SpeechRecognizer, type Recognition, type SpeechRecognizerConfig } from '@appliedml/speech';
import { TextClassifier, type TextClassifierConfig, type TextPrediction } from '@appliedml/text';
import { TrafficForecaster, type Forecast, type TrafficForecasterConfig } from '@appliedml/traffic';

const fraudConfig: FraudDetectorConfig = { detector: 'ensemble', seed: 0 };
const textConfig: TextClassifierConfig = { model: 'linear' };
const speechConfig: SpeechRecognizerConfig = { model: 'cnn' };
const trafficConfig: TrafficForecasterConfig = { model: 'ridge' };
const imageConfig: Partial<ImageClassifierConfig> = { imageSize: 28 };

export async function scoreOne(row: Record<string, number>): Promise<FraudPrediction | undefined> {
  const model = FraudDetector.create(fraudConfig);
  const [prediction] = await model.predictBatch([row]);
  model.dispose();
  return prediction;
}

export async function classify(text: string): Promise<TextPrediction> {
  const model = await TextClassifier.load('models/spam');
  try {
    return await model.predict(text);
  } finally {
    model.dispose();
  }
}

export async function recognize(samples: Float32Array): Promise<Recognition> {
  const model = await SpeechRecognizer.load('models/digits');
  return model.predict(samples, { sampleRate: 8000 });
}

export async function forecast(): Promise<Forecast> {
  const model = await TrafficForecaster.load('models/traffic');
  return model.predict({ values: [[60, 58]], end: new Date() });
}

export async function diagnose(): Promise<ClassPrediction> {
  const model = await ImageClassifier.load('models/pneumonia');
  return model.predict({ width: 28, height: 28, data: new Float32Array(28 * 28) }, { explain: true });
}

export function created(): string[] {
  return [
    TextClassifier.create(textConfig),
    SpeechRecognizer.create(speechConfig),
    TrafficForecaster.create(trafficConfig),
    ImageClassifier.create(imageConfig),
  ].map((model) => model.constructor.name);
}

export function codeOf(error: unknown): string | undefined {
  return AppliedMLError.isInstance(error) ? error.code : undefined;
}
