// Runs inside the scratch consumer project with plain `node`: the packed @appliedml/fraud through `import`,
// used the way its README quick start shows. Checks: the import resolves to dist/index.mjs; an 'ensemble'
// detector trained without labels on seeded rows ranks the planted outliers on top of held-out rows (AUCROC,
// precision@k and recall-at-the-default-threshold floors), predictBatch flags the most unusual held-out outlier
// with a planted feature as its top reason, calibrate
// meets a target precision, save → load (temp dir) gives the same scores and threshold; a 'gbt' detector
// trained with labels clears an AUCROC floor and round-trips too; a TransactionScorer trained on
// generateTransactions scores an amount spike above an ordinary transaction, the amount as its top reason;
// a NaN row, an empty batch and a disposed model are refused with typed AppliedMLErrors; no tensor is left.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import { FraudDetector, TransactionScorer, generateTransactions } from '@appliedml/fraud';

class CheckFailed extends Error {}
const fail = (message) => {
  throw new CheckFailed(message);
};

const started = performance.now();

// Seeded rows of 5 features ~ N(0, 1); every 20th row is an obvious outlier (label 1): two of its features,
// picked at random, are pushed to ±(6 + |N(0, 1)|). `planted[i]` names them (the preprocessor calls column c `x${c}`).
function makeRows(seed, count) {
  let state = seed >>> 0;
  const rand = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  const far = () => (rand() < 0.5 ? -1 : 1) * (6 + Math.abs(gauss()));
  const rows = [];
  const labels = [];
  const planted = [];
  for (let i = 0; i < count; i++) {
    const row = [gauss(), gauss(), gauss(), gauss(), gauss()];
    const outlier = i % 20 === 19;
    if (outlier) {
      const a = Math.floor(rand() * 5);
      const b = (a + 1 + Math.floor(rand() * 4)) % 5;
      row[a] = far();
      row[b] = far();
      planted.push([`x${a}`, `x${b}`]);
    } else planted.push([]);
    rows.push(row);
    labels.push(outlier ? 1 : 0);
  }
  return { rows, labels, planted };
}

const codeOf = async (fn) => {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof AppliedMLError) || !AppliedMLError.isInstance(error)) fail(`expected an AppliedMLError, got ${error}`);
    return error.code;
  }
  return 'no error';
};

const sameScores = (a, b, what) => {
  if (a.length !== b.length) fail(`${what}: ${a.length} scores after load, ${b.length} before`);
  for (let i = 0; i < a.length; i++)
    if (!(Math.abs(a[i] - b[i]) <= 1e-9)) fail(`${what}: row ${i} scored ${b[i]} before save and ${a[i]} after load`);
};

const round = (v) => Number(v.toFixed(4));

async function main(dir) {
  const resolved = import.meta.resolve('@appliedml/fraud');
  if (!resolved.endsWith('/dist/index.mjs')) fail(`import resolved to ${resolved}, expected dist/index.mjs`);

  // The ensemble and gbt detectors run on plain JS and do not initialise the engine themselves: it is
  // initialised here so the tensor count is read on the backend the SDK's neural detectors would use.
  await initEngine();
  const tensorsBefore = tf.memory().numTensors;

  const train = makeRows(1, 400);
  const valid = makeRows(2, 400);

  // 1. Unsupervised ensemble: no labels in training, labels only to measure.
  const model = FraudDetector.create({ detector: 'ensemble', seed: 0 });
  const report = await model.train(train.rows);
  if (report.rows !== 400 || report.features !== 5) fail(`training report ${JSON.stringify(report)}`);
  const evaluation = await model.evaluate(valid.rows, valid.labels);
  if (!(evaluation.aucroc >= 0.95)) fail(`ensemble AUCROC on held-out rows is ${evaluation.aucroc}, expected ≥ 0.95`);
  if (!(evaluation.precisionAtK >= 0.8)) fail(`ensemble precision@${evaluation.k} is ${evaluation.precisionAtK}, expected ≥ 0.8`);

  // At the default threshold (flag the `contamination` share, 5 %, of training rows: here the planted share)
  // most held-out outliers are flagged; the least unusual of them can fall under it, as in any draw.
  if (!(evaluation.recall >= 0.8)) fail(`ensemble recall at the default threshold is ${evaluation.recall}, expected ≥ 0.8`);
  // The most unusual held-out outlier: flagged, with a planted feature as its top reason.
  const heldOutScores = model.scores(valid.rows);
  let outlierIndex = valid.labels.indexOf(1);
  valid.labels.forEach((label, i) => {
    if (label === 1 && heldOutScores[i] > heldOutScores[outlierIndex]) outlierIndex = i;
  });
  const outlierRow = valid.rows[outlierIndex];
  const normalRow = valid.rows[valid.labels.indexOf(0)];
  const predictions = await model.predictBatch([outlierRow, normalRow]);
  if (predictions.length !== 2) fail(`predictBatch returned ${predictions.length} predictions for 2 rows`);
  const [flagged] = predictions;
  if (!flagged.isFraud) fail(`the planted outlier is not flagged: ${JSON.stringify(flagged)}`);
  if (!(flagged.score > predictions[1].score)) fail(`outlier score ${flagged.score} ≤ normal row score ${predictions[1].score}`);
  const topReason = flagged.reasons[0];
  if (
    !topReason ||
    !valid.planted[outlierIndex].includes(topReason.feature) ||
    !(topReason.share > 0) ||
    typeof topReason.text !== 'string'
  )
    fail(`the outlier's top reason is not a planted feature: ${JSON.stringify(flagged.reasons)}`);

  const calibration = model.calibrate(valid.rows, { targetPrecision: 0.9 }, valid.labels);
  if (!(calibration.precision >= 0.9)) fail(`calibrate chose precision ${calibration.precision}, below the 0.9 target`);

  const ensembleDir = join(dir, 'ensemble');
  await model.save(ensembleDir);
  const loaded = await FraudDetector.load(ensembleDir);
  sameScores(loaded.scores(valid.rows), model.scores(valid.rows), 'ensemble');
  if (loaded.threshold !== model.threshold) fail(`threshold ${model.threshold} saved, ${loaded.threshold} loaded`);

  // 2. The typed errors: a NaN in a numeric row, and an empty batch.
  const nanCode = await codeOf(() => model.predictBatch([[0, Number.NaN, 0, 0, 0]]));
  if (nanCode !== 'E_INPUT_INVALID') fail(`a NaN row gave ${nanCode}, expected E_INPUT_INVALID`);
  const emptyCode = await codeOf(() => loaded.predictBatch([]));
  if (emptyCode !== 'E_INPUT_INVALID') fail(`an empty batch gave ${emptyCode}, expected E_INPUT_INVALID`);
  model.dispose();
  loaded.dispose();
  const disposedCode = await codeOf(() => model.scores(valid.rows));
  if (disposedCode !== 'E_MODEL_DISPOSED') fail(`scoring with a disposed model gave ${disposedCode}, expected E_MODEL_DISPOSED`);

  // 3. Supervised gradient-boosted trees, trained with labels, measured on the held-out rows.
  const gbt = FraudDetector.create({ detector: 'gbt', seed: 0 });
  const gbtReport = await gbt.train(train.rows, { labels: train.labels });
  if (!(gbtReport.boosting?.rounds > 0)) fail(`gbt kept no boosting rounds: ${JSON.stringify(gbtReport)}`);
  const gbtEvaluation = await gbt.evaluate(valid.rows, valid.labels);
  if (!(gbtEvaluation.aucroc >= 0.95)) fail(`gbt AUCROC on held-out rows is ${gbtEvaluation.aucroc}, expected ≥ 0.95`);
  const gbtDir = join(dir, 'gbt');
  await gbt.save(gbtDir);
  const gbtLoaded = await FraudDetector.load(gbtDir);
  sameScores(gbtLoaded.scores(valid.rows), gbt.scores(valid.rows), 'gbt');
  gbt.dispose();
  gbtLoaded.dispose();

  // 4. The streaming scorer on the SDK's own synthetic transactions (seed 1: ~650 transactions, the first
  // amount spike at position 483). Train on the history before the spike (no labels), then score the spike
  // and the ordinary transaction after it: the spike must score higher, with the amount as its top reason.
  const txs = generateTransactions({ cards: 40, days: 10, seed: 1 });
  const spikeIndex = txs.findIndex((tx) => tx.pattern === 'amount-spike');
  if (spikeIndex < 200 || spikeIndex + 1 >= txs.length)
    fail(`generateTransactions({ cards: 40, days: 10, seed: 1 }) has its first amount spike at ${spikeIndex} of ${txs.length}`);
  const scorer = TransactionScorer.create({ detector: { detector: 'ensemble', seed: 0 } });
  await scorer.train(txs.slice(0, spikeIndex));
  const scored = await scorer.score(txs[spikeIndex]);
  const ordinary = await scorer.score(txs[spikeIndex + 1]);
  if (!Number.isFinite(scored.score) || !Number.isFinite(ordinary.score)) fail(`the scorer gave scores ${scored.score}, ${ordinary.score}`);
  if (!(scored.score > ordinary.score)) fail(`the amount spike scored ${scored.score}, not above the next transaction's ${ordinary.score}`);
  const txReason = scored.reasons[0];
  if (!txReason || !['amount', 'amount_vs_card_median'].includes(txReason.feature) || typeof txReason.text !== 'string')
    fail(`the amount spike's top reason is not its amount: ${JSON.stringify(scored.reasons)}`);
  scorer.dispose();

  const leakedTensors = tf.memory().numTensors - tensorsBefore;
  if (leakedTensors !== 0) fail(`${leakedTensors} tensors left after every model was disposed`);

  return {
    check: 'sdk-fraud',
    ok: true,
    resolved,
    leakedTensors,
    errorCode: nanCode,
    aucroc: round(evaluation.aucroc),
    aucpr: round(evaluation.aucpr),
    calibratedPrecision: round(calibration.precision),
    calibratedRecall: round(calibration.recall),
    gbtAucroc: round(gbtEvaluation.aucroc),
    gbtRounds: gbtReport.boosting.rounds,
    transactions: spikeIndex,
    spikeScore: round(scored.score),
    spikeReason: txReason.text,
    seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
  };
}

const dir = await mkdtemp(join(tmpdir(), 'appliedml-sdk-fraud-'));
try {
  const result = await main(dir);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(`sdk-fraud: ${error instanceof CheckFailed ? error.message : (error?.stack ?? String(error))}\n`);
  process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
