import type { InferenceModel } from '@appliedml/demo-kit';
import { SpeechRecognizer, type SequenceRecognition } from '@appliedml/speech';
import { runTask, warmUp, type RecognizeAnswer, type SpeechTask } from './recognition';

/**
 * Runs in each worker thread of the speech service's pool: loads the saved recogniser once, then
 * decodes each upload, recognises it and draws its MFCC picture here, off the service's event loop.
 * Warmed up before it resolves (the pool, and so /readyz, is ready after): the first requests are not
 * the ones that run every step for the first time.
 */
export async function load(bundle: string): Promise<InferenceModel<SpeechTask, RecognizeAnswer | SequenceRecognition>> {
  const model = await SpeechRecognizer.load(bundle);
  await warmUp(model);
  return {
    info: { labels: model.labels, sampleRate: model.sampleRate },
    predictBatch: async (tasks) => {
      const out: Array<RecognizeAnswer | SequenceRecognition> = [];
      for (const task of tasks) out.push(await runTask(model, task));
      return out;
    },
  };
}
