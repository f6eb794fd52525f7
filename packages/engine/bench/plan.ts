// What the engine benchmark measures, and how much of it. One plan is shared by the tfjs workers
// and the PyTorch peer (it is written to JSON for the peer), so every backend runs the same cases.

export type ModelId = 'mlp' | 'cnn' | 'lstm';
export type TfjsBackend = 'wasm' | 'wasm-2t' | 'js';
export type BackendId = TfjsBackend | 'torch-1t' | 'torch-2t';

export interface TrainCase {
  id: string;
  model: ModelId;
  batchSize: number;
}

export const TRAIN_CASES: readonly TrainCase[] = [
  { id: 'mlp-b32', model: 'mlp', batchSize: 32 },
  { id: 'mlp-b128', model: 'mlp', batchSize: 128 },
  { id: 'cnn-b64', model: 'cnn', batchSize: 64 },
  { id: 'lstm-b64', model: 'lstm', batchSize: 64 },
];

export const INFER_MODELS: readonly ModelId[] = ['mlp', 'cnn', 'lstm'];
export const INFER_BATCH_SIZES: readonly number[] = [128, 256];

export const MODEL_LABELS: Record<ModelId, string> = {
  mlp: 'A · MLP 784-100-10',
  cnn: 'B · CNN conv16-pool-conv32-pool-64-10',
  lstm: 'C · LSTM(64) [12,8] → 1',
};

export const TRAIN_LABELS: Record<string, string> = {
  'mlp-b32': 'A · MLP, batch 32',
  'mlp-b128': 'A · MLP, batch 128',
  'cnn-b64': 'B · CNN, batch 64',
  'lstm-b64': 'C · LSTM(64), batch 64',
};

export const BACKEND_LABELS: Record<BackendId, string> = {
  wasm: 'engine wasm',
  'wasm-2t': 'engine wasm, 2 threads (opt-in)',
  js: 'plain tfjs cpu',
  'torch-1t': 'PyTorch 1 thread',
  'torch-2t': 'PyTorch 2 threads',
};

/** How much work one backend does. Steps are optimizer steps per timed repeat (one pass over steps × batch rows). */
export interface Workload {
  /** Timed training repeats per case (the median is reported). */
  trainRepeats: number;
  /** Untimed steps before the timed repeats (kernel set-up, JIT, allocator). */
  warmupSteps: Record<string, number>;
  trainSteps: Record<string, number>;
  /**
   * A timed training repeat runs whole passes of trainSteps until it lasts at least this long, sized
   * by one untimed calibration pass (0: one pass, no calibration).
   */
  minTrainSeconds: number;
  /** Timed inference repeats per (model, batch size). */
  inferRepeats: number;
  /** Rows predicted per pass; a repeat runs whole passes until it lasts at least minInferSeconds. */
  inferRows: Record<ModelId, number>;
  minInferSeconds: number;
}

export interface DataFiles {
  /** Raw little-endian files in dataDir. */
  mnistX: string;
  mnistLabels: string;
  seqX: string;
  seqY: string;
  mnistRows: number;
  seqRows: number;
  seqSteps: number;
  seqFeatures: number;
}

export interface Plan {
  quick: boolean;
  seed: number;
  dataDir: string;
  data: DataFiles;
  workloads: Record<BackendId, Workload>;
}

export const DIGITS_PER_CLASS = 800; // 8,000 digits; the smallest class in the mnist package has 863
export const SEQ_ROWS = 8000;

function workload(quick: boolean, kind: 'fast' | 'slow'): Workload {
  if (kind === 'slow') {
    // Plain tfjs cpu: its Conv2DBackpropFilter takes seconds per batch, so the CNN gets 2 steps.
    return quick
      ? {
          trainRepeats: 1,
          warmupSteps: { 'mlp-b32': 2, 'mlp-b128': 2, 'cnn-b64': 1, 'lstm-b64': 2 },
          trainSteps: { 'mlp-b32': 10, 'mlp-b128': 4, 'cnn-b64': 1, 'lstm-b64': 4 },
          minTrainSeconds: 0,
          inferRepeats: 1,
          inferRows: { mlp: 1024, cnn: 256, lstm: 256 },
          minInferSeconds: 0.05,
        }
      : {
          trainRepeats: 3,
          warmupSteps: { 'mlp-b32': 5, 'mlp-b128': 3, 'cnn-b64': 1, 'lstm-b64': 3 },
          trainSteps: { 'mlp-b32': 60, 'mlp-b128': 16, 'cnn-b64': 2, 'lstm-b64': 16 },
          minTrainSeconds: 0,
          inferRepeats: 3,
          inferRows: { mlp: 4096, cnn: 512, lstm: 1024 },
          minInferSeconds: 0.5,
        };
  }
  return quick
    ? {
        trainRepeats: 1,
        warmupSteps: { 'mlp-b32': 5, 'mlp-b128': 3, 'cnn-b64': 3, 'lstm-b64': 3 },
        trainSteps: { 'mlp-b32': 40, 'mlp-b128': 10, 'cnn-b64': 10, 'lstm-b64': 10 },
        minTrainSeconds: 0.05,
        inferRepeats: 1,
        inferRows: { mlp: 2048, cnn: 1024, lstm: 1024 },
        minInferSeconds: 0.05,
      }
    : {
        trainRepeats: 5,
        warmupSteps: { 'mlp-b32': 20, 'mlp-b128': 10, 'cnn-b64': 10, 'lstm-b64': 10 },
        // MLP: one epoch of the 8,000 digits; CNN and LSTM: 3,840 samples.
        trainSteps: { 'mlp-b32': 250, 'mlp-b128': 62, 'cnn-b64': 60, 'lstm-b64': 60 },
        minTrainSeconds: 0.5,
        inferRepeats: 5,
        inferRows: { mlp: 8000, cnn: 8000, lstm: 8000 },
        minInferSeconds: 0.5,
      };
}

export function makeWorkloads(quick: boolean): Record<BackendId, Workload> {
  return {
    wasm: workload(quick, 'fast'),
    'wasm-2t': workload(quick, 'fast'),
    js: workload(quick, 'slow'),
    'torch-1t': workload(quick, 'fast'),
    'torch-2t': workload(quick, 'fast'),
  };
}

/** Result of one backend, as the workers and the peer report it (JSON). */
export interface Measured {
  samplesPerSecond: number[];
  /** Samples per timed repeat. */
  samples: number;
  /** Whole passes over the rows per timed repeat. */
  passes: number;
}

export interface BackendResult {
  backend: BackendId;
  ok: boolean;
  reason?: string;
  info: Record<string, string | number | boolean>;
  /** Peak resident set size of the measuring process, MiB. */
  maxRssMiB?: number;
  /** User + system CPU seconds of the measuring process. */
  cpuSeconds?: number;
  /** 1024×1024 float32 matmul throughput, GFLOP/s (machine context). */
  sgemmGflops?: number;
  train: Record<string, Measured>;
  /** Keyed `${model}@${batchSize}`. */
  infer: Record<string, Measured>;
}

export function inferKey(model: ModelId, batchSize: number): string {
  return `${model}@${batchSize}`;
}
