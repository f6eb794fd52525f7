import type { InferenceModel } from '@appliedml/demo-kit';
import { ImageClassifier, ImageSegmenter } from '@appliedml/medical-imaging';
import { analyse, type PredictAnswer } from './analysis';
import type { MedicalUpload } from './server';
import { trainedOnNote } from './provenance';

/**
 * Runs in each worker thread of the medical service's pool: loads the saved classifier (and the
 * segmenter, when given) once, then reads each upload, classifies it with Grad-CAM and draws the
 * overlays here, off the service's event loop.
 */
export async function load(bundle: string, options: { segmenter?: unknown }): Promise<InferenceModel<MedicalUpload, PredictAnswer>> {
  const classifier = await ImageClassifier.load(bundle);
  const segmenter = typeof options.segmenter === 'string' ? await ImageSegmenter.load(options.segmenter) : undefined;
  // The description is the service's (medicalWorkerPool's); a worker's models need none.
  const models = { classifier, ...(segmenter ? { segmenter } : {}), description: '' };
  return {
    info: {
      labels: classifier.labels,
      segmenter: Boolean(segmenter),
      classifierTrainedOn: trainedOnNote(classifier.trainedOn),
      ...(segmenter ? { segmenterTrainedOn: trainedOnNote(segmenter.trainedOn) } : {}),
    },
    predictBatch: (inputs) => Promise.all(inputs.map((upload) => analyse(models, upload.bytes, upload.options))),
  };
}
