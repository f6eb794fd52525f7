#!/usr/bin/env node
// Markdown tables for docs/benchmarks/fraud.md from one or more bench results files
// (.bench-out/fraud.json, written by packages/fraud/bench/run.ts): ours beside the ADBench paper and scikit-learn.
// usage: node tools/fraud-bench-table.mjs results.json [more.json ...]
import { readFileSync } from 'node:fs';

const PUB = {
  campaign: {
    IForest: [71.71, 32.26],
    ECOD: [76.78, 37.4],
    COPOD: [77.69, 38.58],
    MLP: [89.1, 51.6],
    XGB: [93.35, 58.63],
    CatB: [93.93, 60.96],
  },
  donors: {
    IForest: [77.68, 12.74],
    ECOD: [74.45, 14.17],
    COPOD: [81.76, 21.58],
    MLP: [100.0, 100.0],
    XGB: [100.0, 99.96],
    CatB: [100.0, 100.0],
  },
  mammography: {
    IForest: [86.39, 20.67],
    ECOD: [90.75, 41.28],
    COPOD: [90.69, 40.67],
    MLP: [95.17, 65.35],
    XGB: [93.63, 72.21],
    CatB: [95.95, 76.89],
  },
  shuttle: {
    IForest: [99.56, 97.62],
    ECOD: [99.4, 95.76],
    COPOD: [99.35, 96.56],
    MLP: [98.2, 96.66],
    XGB: [100.0, 99.99],
    CatB: [100.0, 100.0],
  },
  thyroid: {
    IForest: [98.3, 63.11],
    ECOD: [97.78, 54.05],
    COPOD: [94.3, 19.64],
    MLP: [99.78, 93.22],
    XGB: [99.96, 98.16],
    CatB: [99.97, 98.68],
  },
  cardio: {
    IForest: [93.19, 59.95],
    ECOD: [94.44, 68.59],
    COPOD: [92.35, 60.42],
    MLP: [99.44, 96.4],
    XGB: [99.49, 96.96],
    CatB: [99.61, 97.4],
  },
  annthyroid: {
    IForest: [82.01, 30.47],
    ECOD: [78.03, 24.65],
    COPOD: [76.8, 16.58],
    MLP: [98.62, 79.61],
    XGB: [99.57, 92.44],
    CatB: [99.55, 92.36],
  },
  'satimage-2': {
    IForest: [99.16, 93.45],
    ECOD: [97.11, 63.25],
    COPOD: [97.21, 76.55],
    MLP: [97.94, 90.87],
    XGB: [98.87, 95.09],
    CatB: [99.76, 96.43],
  },
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
const meanPair = (get) => `${f(mean((s) => get(s)?.aucroc))} / ${f(mean((s) => get(s)?.aucpr))}`;
const meanPub = (k) => `${f(mean((s) => PUB[s][k][0]))} / ${f(mean((s) => PUB[s][k][1]))}`;
// Ours (the rows the bench ran, in this order), then scikit-learn, then the paper.
const table = (ours, pub, withSklearn) => {
  const cols = ours.filter(([k]) => sets.some((s) => results[s][k]));
  const head = [
    ...cols.map(([, label]) => `${label} (ours)`),
    ...(withSklearn ? ['sklearn IForest'] : []),
    ...pub.map((k) => `paper ${k}`),
  ];
  lines.push(`| set | ${head.join(' | ')} |`, `|${'---|'.repeat(head.length + 1)}`);
  for (const s of sets) {
    const cells = [...cols.map(([k]) => pair(results[s][k])), ...(withSklearn ? [pair(sklearn[s])] : []), ...pub.map((k) => pp(PUB[s][k]))];
    lines.push(`| ${s} | ${cells.join(' | ')} |`);
  }
  const means = [
    ...cols.map(([k]) => `**${meanPair((s) => results[s][k])}**`),
    ...(withSklearn ? [meanPair((s) => sklearn[s])] : []),
    ...pub.map((k) => meanPub(k)),
  ];
  lines.push(`| **mean** | ${means.join(' | ')} |`);
};
table(
  [
    ['ecod', 'ECOD'],
    ['iforest', 'IForest'],
    ['pca', 'PCA'],
    ['knn', 'kNN'],
    ['ensemble', 'ensemble'],
    ['ensemble-v2', 'ensemble v2'],
  ],
  ['IForest', 'ECOD', 'COPOD'],
  true,
);
lines.push('');
table(
  [
    ['mlp', 'MLP, class weights'],
    ['gbt', 'GBT'],
  ],
  ['MLP', 'XGB', 'CatB'],
  false,
);
lines.push(
  '',
  '| set | detector | fit s (ours) | test records/s (ours) | sklearn fit s | sklearn records/s |',
  '|---|---|---|---|---|---|',
);
for (const s of sets) {
  for (const d of ['ecod', 'iforest', 'pca', 'knn', 'ensemble', 'ensemble-v2', 'mlp', 'gbt']) {
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
