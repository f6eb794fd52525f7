import { consoleLogger, type Device, type Logger } from '@appliedml/engine';
import { splitSeries, TrafficForecaster, type HorizonMetrics, type TrafficModelKind, type TrafficTrainingReport } from '@appliedml/traffic';
import type { DemoData } from './data';

export interface ModelResult {
  model: TrafficModelKind;
  horizons: HorizonMetrics[];
  trainSeconds: number;
  report?: TrafficTrainingReport;
  /** The row's name when it differs from the model's usual one (MODEL_LABELS). */
  label?: string;
}

export interface ComparisonOptions {
  models: TrafficModelKind[];
  epochs: number;
  hiddenUnits: number;
  device?: Device;
  seed: number;
  progress: boolean;
  /** Keep the trained forecasters (the caller disposes them). */
  keep?: boolean;
  /** Where the SDK's warnings go (default: the console with progress, none without). */
  logger?: Logger;
  /** Stops the training after its current step (Ctrl-C, stopOnSignals): E_ABORTED, every model disposed. */
  signal?: AbortSignal;
}

export const RIDGE_WITHOUT_CLOCK = 'graph ridge (window and neighbours; no historical average: the data has no clock)';

/** T-GCN protocol: 80/20 chronological split, validation carved from the train part, windows built inside the test part. */
export async function runComparison(
  data: DemoData,
  options: ComparisonOptions,
): Promise<{ results: ModelResult[]; testStart: number; kept: Map<string, TrafficForecaster> }> {
  const { train, testStart } = splitSeries(data.series, 0.8);
  const results: ModelResult[] = [];
  const kept = new Map<string, TrafficForecaster>();
  const logger = options.logger ?? (options.progress ? consoleLogger({ prefix: 'traffic-demo' }) : undefined);
  for (const kind of options.models) {
    const model = TrafficForecaster.create({ model: kind, hiddenUnits: options.hiddenUnits, seed: options.seed });
    try {
      const report = await model.train(train, {
        adjacency: data.adjacency,
        epochs: options.epochs,
        progress: options.progress ? 'auto' : false,
        ...(options.device ? { device: options.device } : {}),
        ...(logger ? { logger } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const evaluation = await model.evaluate(data.series, { fromStep: testStart });
      results.push({
        model: kind,
        horizons: evaluation.horizons,
        trainSeconds: report.seconds,
        ...(model.isNeural ? { report } : {}),
        // Without a clock the graph ridge has no time of day: it reads no historical average (its usual label says it does).
        ...(kind === 'ridge' && data.series.start === null ? { label: RIDGE_WITHOUT_CLOCK } : {}),
      });
    } catch (error) {
      model.dispose();
      for (const m of kept.values()) m.dispose();
      throw error;
    }
    if (options.keep) kept.set(kind, model);
    else model.dispose();
  }
  return { results, testStart, kept };
}
