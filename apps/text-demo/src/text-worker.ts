import type { InferenceModel } from '@appliedml/demo-kit';
import { TextClassifier } from '@appliedml/text';
import { answerFor, type PredictAnswer } from './answer';

/**
 * Runs in each worker thread of the text service's pool: loads the saved bundle once (its own
 * engine and model) and explains the texts it is sent. Only types come from the demo kit: a worker
 * loads the SDK, not the HTTP service (`textWorkerPool` names the bundle on the main thread).
 */
export async function load(bundle: string): Promise<InferenceModel<string, PredictAnswer>> {
  const model = await TextClassifier.load(bundle);
  return {
    info: { labels: model.labels, model: model.config.model },
    predictBatch: (texts) => Promise.all(texts.map((text) => answerFor(model, text))),
  };
}
