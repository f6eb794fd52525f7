#!/usr/bin/env node
// Markdown tables for docs/benchmarks/fraud.md from one or more bench results files
// (.bench-out/fraud.json, written by packages/fraud/bench/run.ts): ours beside the ADBench paper and scikit-learn.
// usage: node tools/fraud-bench-table.mjs results.json [more.json ...]
// Later files win for the same set and row. `file.json:old=new` reads row `old` of that file as row `new`
// (e.g. `.bench-out/fraud-gbt.json:gbt=gbt-bagged` for a run made while GBT_BAGGED was the default).
import { readFileSync } from 'node:fs';

// The ADBench paper's rows come with the results (packages/fraud/src/published.ts, written by the bench).
let PUB = {};
const results = {};
let sklearn = {};
let streaming;
for (const arg of process.argv.slice(2)) {
  const [file, ...renames] = arg.split(':');
  const rename = Object.fromEntries(renames.map((x) => x.split('=')));
  const r = JSON.parse(readFileSync(file, 'utf8'));
  for (const [set, cells] of Object.entries(r.results)) {
    const named = Object.fromEntries(Object.entries(cells).map(([k, v]) => [rename[k] ?? k, v]));
    results[set] = { ...results[set], ...named };
  }
  if (r.sklearn && typeof r.sklearn === 'object') Object.assign(sklearn, r.sklearn);
  streaming = r.streaming ?? streaming;
  if (r.published && typeof r.published === 'object') PUB = { ...PUB, ...r.published };
}
if (Object.keys(PUB).length === 0) {
  process.stderr.write('No published rows in the results: rerun `npm run bench -w @appliedml/fraud` to write them.\n');
  process.exit(1);
}
const ORDER = Object.keys(PUB);
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
    ['ensemble-v3', 'ensemble v3'],
  ],
  ['IForest', 'ECOD', 'COPOD'],
  true,
);
lines.push('');
table(
  [
    ['mlp', 'MLP, class weights'],
    ['gbt', 'GBT'],
    ['gbt-bagged', 'GBT, GBT_BAGGED'],
    ['gbt-outlier', 'GBT + outlier features'],
    ['gbt-forest', 'GBT + forest'],
    ['gbt-forest-50', 'GBT + forest (50 trees)'],
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
  for (const d of [
    'ecod',
    'iforest',
    'pca',
    'knn',
    'ensemble',
    'ensemble-v2',
    'ensemble-v3',
    'mlp',
    'gbt',
    'gbt-bagged',
    'gbt-outlier',
    'gbt-forest',
    'gbt-forest-50',
  ]) {
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
