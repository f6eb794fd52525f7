import { bundleName, type InferenceModel } from '@appliedml/demo-kit';
import { TextClassifier } from '@appliedml/text';
import { answerFor, type PredictAnswer } from './answer';

/**
 * Runs in each worker thread of the text service's pool: loads the saved bundle once (its own
 * engine and model) and explains the texts it is sent. `info.model` names the bundle by its folder
 * (`bundleName`), never by its path on the server: GET /info shows it to any web client.
 */
export async function load(bundle: string): Promise<InferenceModel<string, PredictAnswer>> {
  const model = await TextClassifier.load(bundle);
  return {
    info: { labels: model.labels, model: `${model.config.model} (${bundleName(bundle)})` },
    predictBatch: (texts) => Promise.all(texts.map((text) => answerFor(model, text))),
  };
}
