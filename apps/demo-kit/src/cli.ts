// What a demo CLI needs to read its flags and say why it refuses one, without the service (Fastify),
// the worker pool or TensorFlow.js: `--help` and a refused flag answer without loading them. A command
// that trains, loads a model or serves imports those itself ('@appliedml/demo-kit', the SDK).
export { andList } from './and-list';
export { bundleName } from './bundle-name';
export { printable } from './printable';
export { intFlag, parseCliArgs, useInvocationDir } from './cli-args';
export { checkTrainTarget, type TrainTargetOptions } from './train-target';
export { STOPPING_LINE, signalExitCode, stopOnSignals, type StopOnSignalsOptions } from './stop-on-signals';
