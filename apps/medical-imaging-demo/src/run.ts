// Training runs shared by the CLI commands and the tests.
import type { Device } from '@appliedml/engine';
import {
  ImageClassifier,
  ImageSegmenter,
  heatmapOverlayPng,
  maskOverlayPng,
  type ClassificationMetrics,
  type GrayImage,
  type SegmentationMetrics,
  type AnyImage,
} from '@appliedml/medical-imaging';
import type { ClassificationData, SegmentationData } from './data';
import type { Preset } from './presets';
import type { Figure } from './report';

export interface ClassifierRun {
  model: ImageClassifier;
  metrics: ClassificationMetrics;
  trainSeconds: number;
  figures: Figure[];
}

export interface SegmenterRun {
  model: ImageSegmenter;
  metrics: SegmentationMetrics;
  trainSeconds: number;
  figures: Figure[];
}

export interface RunOptions {
  device?: Device;
  progress?: boolean | 'auto';
  say?: (line: string) => void;
  figures?: number;
  /** Stops the training after its current step (Ctrl-C, stopOnSignals): E_ABORTED, the model disposed. */
  signal?: AbortSignal;
}

export async function runClassifier(data: ClassificationData, preset: Preset, options: RunOptions = {}): Promise<ClassifierRun> {
  const model = ImageClassifier.create(preset.classifier);
  try {
    const started = performance.now();
    await model.train(data.train, {
      ...preset.classifierTrain,
      validation: data.val,
      progress: options.progress ?? 'auto',
      ...(options.device ? { device: options.device } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onEpoch: (e) =>
        options.say?.(`  epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)}, val AUC ${e.valAuc.toFixed(4)}, ${e.seconds.toFixed(1)} s`),
    });
    const trainSeconds = (performance.now() - started) / 1000;
    const metrics = await model.evaluate(data.test);
    const figures = await classifierFigures(model, data, options.figures ?? 8);
    options.signal?.throwIfAborted();
    return { model, metrics, trainSeconds, figures };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** Grad-CAM overlays of the first test images of each class. */
export async function classifierFigures(model: ImageClassifier, data: ClassificationData, count: number): Promise<Figure[]> {
  if (count < 1) return [];
  const picks: number[] = [];
  for (const label of model.labels) {
    let taken = 0;
    data.test.labels.forEach((l, i) => {
      if (l === label && taken < count / 2) {
        picks.push(i);
        taken++;
      }
    });
  }
  const images = picks.map((i) => data.test.images[i]!);
  const predictions = await model.predictBatch(images, { explain: true });
  const figures: Figure[] = [];
  for (let k = 0; k < picks.length; k++) {
    const p = predictions[k]!;
    figures.push({
      png: await heatmapOverlayPng(images[k]!, p.heatmap!, { width: 160 }),
      caption: `truth ${data.test.labels[picks[k]!]} → ${p.label} (${(p.score * 100).toFixed(1)} %)`,
    });
  }
  return figures;
}

function toGray(image: AnyImage): GrayImage {
  const c = (image as { channels?: number }).channels === 3 ? 3 : 1;
  if (c === 1) return image as GrayImage;
  const data = new Float32Array(image.width * image.height);
  for (let p = 0; p < data.length; p++)
    data[p] = 0.299 * image.data[3 * p]! + 0.587 * image.data[3 * p + 1]! + 0.114 * image.data[3 * p + 2]!;
  return { width: image.width, height: image.height, data };
}

export async function runSegmenter(data: SegmentationData, preset: Preset, options: RunOptions = {}): Promise<SegmenterRun> {
  const model = ImageSegmenter.create(preset.segmenter);
  try {
    const started = performance.now();
    await model.train(data.train, {
      ...preset.segmenterTrain,
      validation: data.val,
      progress: options.progress ?? 'auto',
      ...(options.device ? { device: options.device } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onEpoch: (e) =>
        options.say?.(`  epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)}, val Dice ${e.valDice.toFixed(4)}, ${e.seconds.toFixed(1)} s`),
    });
    const trainSeconds = (performance.now() - started) / 1000;
    const metrics = await model.evaluate(data.test);
    const figures = await segmenterFigures(model, data, options.figures ?? 8);
    options.signal?.throwIfAborted();
    return { model, metrics, trainSeconds, figures };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

export async function segmenterFigures(model: ImageSegmenter, data: SegmentationData, count: number): Promise<Figure[]> {
  if (count < 1) return [];
  const images = data.test.images.slice(0, count);
  const predictions = await model.predictBatch(images);
  const figures: Figure[] = [];
  for (let k = 0; k < images.length; k++) {
    const gray = toGray(images[k]!);
    figures.push({
      png: await maskOverlayPng(gray, predictions[k]!.mask, { truth: data.test.masks[k]!, width: 160 }),
      caption: `predicted area ${(predictions[k]!.area * 100).toFixed(1)} %`,
    });
  }
  return figures;
}
