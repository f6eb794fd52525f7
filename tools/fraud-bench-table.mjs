#!/usr/bin/env node
// Markdown tables for docs/benchmarks/fraud.md from one or more bench results files
// (packages/fraud/bench/results.json): ours beside the ADBench paper and scikit-learn.
// usage: node tools/fraud-bench-table.mjs results.json [more.json ...]
import { readFileSync } from 'node:fs';

const PUB = {
  campaign: { IForest: [71.71, 32.26], ECOD: [76.78, 37.4], COPOD: [77.69, 38.58], MLP: [89.1, 51.6], CatB: [93.93, 60.96] },
  donors: { IForest: [77.68, 12.74], ECOD: [74.45, 14.17], COPOD: [81.76, 21.58], MLP: [100.0, 100.0], CatB: [100.0, 100.0] },
  mammography: { IForest: [86.39, 20.67], ECOD: [90.75, 41.28], COPOD: [90.69, 40.67], MLP: [95.17, 65.35], CatB: [95.95, 76.89] },
  shuttle: { IForest: [99.56, 97.62], ECOD: [99.4, 95.76], COPOD: [99.35, 96.56], MLP: [98.2, 96.66], CatB: [100.0, 100.0] },
  thyroid: { IForest: [98.3, 63.11], ECOD: [97.78, 54.05], COPOD: [94.3, 19.64], MLP: [99.78, 93.22], CatB: [99.97, 98.68] },
  cardio: { IForest: [93.19, 59.95], ECOD: [94.44, 68.59], COPOD: [92.35, 60.42], MLP: [99.44, 96.4], CatB: [99.61, 97.4] },
  annthyroid: { IForest: [82.01, 30.47], ECOD: [78.03, 24.65], COPOD: [76.8, 16.58], MLP: [98.62, 79.61], CatB: [99.55, 92.36] },
  'satimage-2': { IForest: [99.16, 93.45], ECOD: [97.11, 63.25], COPOD: [97.21, 76.55], MLP: [97.94, 90.87], CatB: [99.76, 96.43] },
};
const ORDER = Object.keys(PUB);
const results = {};
let sklearn = {};
let streaming;
for (const file of process.argv.slice(2)) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  for (const [set, cells] of Object.entries(r.results)) results[set] = { ...results[set], ...cells };
  if (r.sklearn && typeof r.sklearn === 'object') Object.assign(sklearn, r.sklearn);
  streaming = r.streaming ?? streaming;
}
const f = (v) => (v === undefined ? '–' : v.toFixed(2));
const pair = (c) => (c ? `${f(c.aucroc)} / ${f(c.aucpr)}` : '–');
const pp = (p) => `${f(p[0])} / ${f(p[1])}`;
const sets = ORDER.filter((s) => results[s]);
const mean = (get) => {
  const v = sets.map(get).filter((x) => x !== undefined);
  return v.length === sets.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined;
};
const lines = [];
lines.push(
  '| set | ECOD (ours) | IForest (ours) | ensemble (ours) | sklearn IForest | paper IForest | paper ECOD | paper COPOD |',
  '|---|---|---|---|---|---|---|---|',
);
for (const s of sets) {
  const r = results[s];
  lines.push(
    `| ${s} | ${pair(r.ecod)} | ${pair(r.iforest)} | ${pair(r.ensemble)} | ${pair(sklearn[s])} | ${pp(PUB[s].IForest)} | ${pp(PUB[s].ECOD)} | ${pp(PUB[s].COPOD)} |`,
  );
}
const meanPair = (get) => `${f(mean((s) => get(s)?.aucroc))} / ${f(mean((s) => get(s)?.aucpr))}`;
const meanPub = (k) => `${f(mean((s) => PUB[s][k][0]))} / ${f(mean((s) => PUB[s][k][1]))}`;
lines.push(
  `| **mean** | **${meanPair((s) => results[s].ecod)}** | **${meanPair((s) => results[s].iforest)}** | **${meanPair((s) => results[s].ensemble)}** | ${meanPair((s) => sklearn[s])} | ${meanPub('IForest')} | ${meanPub('ECOD')} | ${meanPub('COPOD')} |`,
);
lines.push('', '| set | MLP, class weights (ours) | paper MLP | paper CatB |', '|---|---|---|---|');
for (const s of sets) lines.push(`| ${s} | ${pair(results[s].mlp)} | ${pp(PUB[s].MLP)} | ${pp(PUB[s].CatB)} |`);
lines.push(`| **mean** | **${meanPair((s) => results[s].mlp)}** | ${meanPub('MLP')} | ${meanPub('CatB')} |`);
lines.push(
  '',
  '| set | detector | fit s (ours) | test records/s (ours) | sklearn fit s | sklearn records/s |',
  '|---|---|---|---|---|---|',
);
for (const s of sets) {
  for (const d of ['ecod', 'iforest', 'ensemble', 'mlp']) {
    const c = results[s][d];
    if (!c) continue;
    const sk = d === 'iforest' ? sklearn[s] : undefined;
    lines.push(
      `| ${s} | ${d} | ${c.fitSeconds.toFixed(2)} | ${Math.round(c.recordsPerSecond)} | ${sk ? sk.fitSeconds.toFixed(2) : ''} | ${sk ? Math.round(sk.recordsPerSecond) : ''} |`,
    );
  }
}
if (streaming)
  lines.push(
    '',
    `Streaming single-record latency (TransactionScorer.score, features + ensemble + reasons, ${streaming.n} calls): p50 ${streaming.p50ms.toFixed(3)} ms, p99 ${streaming.p99ms.toFixed(3)} ms.`,
  );
process.stdout.write(lines.join('\n') + '\n');
