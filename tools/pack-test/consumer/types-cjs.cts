// Type-checked (not run) in the scratch consumer under `moduleResolution: node16`: a CommonJS module, so
// '@appliedml/engine' must resolve through the `require` branch to dist/index.d.ts.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the point of this file is the `require` branch
import engine = require('@appliedml/engine');

const { AppliedMLError, ENGINE_VERSION, fitModel, initEngine, predictBatched, tf } = engine;
type DeviceInfo = engine.DeviceInfo;
type ErrorCode = engine.ErrorCode;
type FitOptions = engine.FitOptions;
type PredictionArray = engine.PredictionArray;
type TrainingReport = engine.TrainingReport;

export async function train(): Promise<{ info: DeviceInfo; report: TrainingReport; out: PredictionArray; version: string }> {
  const info = await initEngine({ device: 'auto' });
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, activation: 'sigmoid' })] });
  const options: FitOptions = { epochs: 2, loss: 'binaryCrossentropy', progress: false };
  const report = await fitModel(model, tf.zeros([4, 2]), tf.zeros([4, 1]), options);
  const out = predictBatched(model, tf.zeros([4, 2]));
  const first: Float32Array = out.data;
  const epochs: number = report.epochsRun;
  void first;
  void epochs;
  // The declarations must be real types, not `any`: each line below has to be an error.
  // @ts-expect-error 'tpu' is not a Device
  await initEngine({ device: 'tpu' });
  // @ts-expect-error FitOptions needs a loss
  await fitModel(model, tf.zeros([4, 2]), tf.zeros([4, 1]), { epochs: 1 });
  // @ts-expect-error ENGINE_VERSION is a string
  const wrong: number = ENGINE_VERSION;
  void wrong;
  // Chained tensor methods are on the Tensor type (tfjs-core's chained-op declarations are imported).
  const summed: engine.tf.Tensor = tf
    .zeros([2, 3])
    .add(tf.ones([2, 3]))
    .slice([0, 0], [1, 3])
    .argMax(1);
  void summed;
  // @ts-expect-error tf's types are real, not `any` (a Tensor is no string)
  const notText: string = tf.zeros([1]);
  void notText;
  return { info, report, out, version: ENGINE_VERSION };
}

export function codeOf(error: unknown): ErrorCode | undefined {
  return AppliedMLError.isInstance(error) ? error.code : undefined;
}
