// The smoke run shared by esm-smoke.mjs (engine loaded with `import`) and cjs-smoke.cjs (with
// `require`): the caller passes the engine module it loaded, so each path exercises its own build.
'use strict';

module.exports = async function runSmoke(engine, fail) {
  const { AppliedMLError, fitModel, initEngine, predictBatched, tf } = engine;
  const info = await initEngine({ device: 'auto' });
  if (info.device !== 'wasm') fail(`device 'auto' picked ${info.device} (${info.backend}), expected wasm`);

  // A tiny XOR-like task from a seeded LCG: label 1 when the two coordinates have opposite signs.
  let state = 12345;
  const rand = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const n = 64;
  const points = [];
  const labels = [];
  for (let i = 0; i < n; i++) {
    const a = rand() * 2 - 1;
    const b = rand() * 2 - 1;
    points.push([a, b]);
    labels.push([a > 0 !== b > 0 ? 1 : 0]);
  }
  const x = tf.tensor2d(points);
  const y = tf.tensor2d(labels);

  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [2], units: 8, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  const report = await fitModel(model, x, y, {
    epochs: 25,
    batchSize: 16,
    loss: 'binaryCrossentropy',
    optimizer: 'adam',
    learningRate: 0.05,
    seed: 7,
    progress: false,
  });
  const firstLoss = report.history[0]?.loss;
  const lastLoss = report.history.at(-1)?.loss;
  if (!(Number.isFinite(firstLoss) && Number.isFinite(lastLoss)))
    fail(`training produced no finite losses: ${JSON.stringify(report.history)}`);
  if (!(lastLoss < firstLoss)) fail(`loss did not drop: first ${firstLoss}, last ${lastLoss}`);

  const prediction = predictBatched(model, x, { batchSize: 10 });
  if (prediction.shape.join('x') !== `${n}x1`) fail(`prediction shape ${prediction.shape.join('x')}, expected ${n}x1`);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const p = prediction.data[i];
    if (!(p >= 0 && p <= 1)) fail(`prediction ${i} is ${p}, not a probability`);
    if (p > 0.5 === (labels[i][0] === 1)) correct++;
  }

  // The typed error class must survive bundling: instanceof, isInstance and the stable code.
  let errorCode = 'none';
  let errorClass = 'none';
  try {
    predictBatched(model, tf.zeros([0, 2]));
  } catch (error) {
    if (!(error instanceof AppliedMLError) || !AppliedMLError.isInstance(error)) fail(`expected an AppliedMLError, got ${error}`);
    errorCode = error.code;
    // Printed as `${constructor.name}: …` when uncaught: the build must keep the name as written.
    errorClass = error.constructor.name;
  }
  if (errorCode !== 'E_INPUT_INVALID') fail(`empty predict gave ${errorCode}, expected E_INPUT_INVALID`);

  return {
    version: engine.ENGINE_VERSION,
    device: info.device,
    epochs: report.epochsRun,
    firstLoss: Number(firstLoss.toFixed(4)),
    lastLoss: Number(lastLoss.toFixed(4)),
    accuracy: correct / n,
    errorCode,
    errorClass,
    renamedClasses: renamedClasses(engine),
  };
};

/** The exported classes whose name is not the one they are exported as (a build that renames them: `_AppliedMLError`). */
function renamedClasses(module) {
  return Object.entries(module)
    .filter(([key, value]) => typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value)) && value.name !== key)
    .map(([key, value]) => `${key} is named ${value.name}`);
}
