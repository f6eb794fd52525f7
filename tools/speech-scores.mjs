#!/usr/bin/env node
// Errors and accuracies from the speech bench's per-utterance scores (`--scores-out FILE`, one JSON line
// per scored utterance), for each file and for the average of all the files' probabilities (networks of
// separate runs averaged after the fact, as one larger ensemble would average them).
// usage: node tools/speech-scores.mjs [--tta] scores-a.jsonl [scores-b.jsonl ...]
// Utterances are matched by protocol, fold, seed and file; only those present in every file count.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const args = process.argv.slice(2);
const key = args.includes('--tta') ? 'tta' : 'plain';
const files = args.filter((a) => a !== '--tta');
if (files.length === 0) {
  process.stderr.write('usage: node tools/speech-scores.mjs [--tta] scores.jsonl [more.jsonl ...]\n');
  process.exit(1);
}

const runs = files.map((file) => {
  const rows = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line);
    const seed = r.config?.seed ?? 42;
    rows.set(`${r.protocol}\t${r.fold}\t${seed}\t${basename(r.path)}`, r);
  }
  return rows;
});
const common = [...runs[0].keys()].filter((k) => runs.every((run) => run.has(k)));

const argmax = (p) => p.reduce((best, v, i) => (v > p[best] ? i : best), 0);
const groups = new Map();
for (const k of common) {
  const [protocol, fold, seed] = k.split('\t');
  const group = `${protocol} ${fold} seed ${seed}`;
  const g = groups.get(group) ?? { n: 0, errors: new Array(files.length + 1).fill(0) };
  const rs = runs.map((run) => run.get(k));
  const truth = rs[0].label;
  rs.forEach((r, i) => {
    if (r.labels[argmax(r[key])] !== truth) g.errors[i] += 1;
  });
  const mean = rs[0][key].map((_, j) => rs.reduce((s, r) => s + r[key][j], 0) / rs.length);
  if (rs[0].labels[argmax(mean)] !== truth) g.errors[files.length] += 1;
  g.n += 1;
  groups.set(group, g);
}

const names = [...files.map((f) => basename(f)), files.length > 1 ? 'average of all' : undefined].filter(Boolean);
const cols = files.length > 1 ? files.length + 1 : 1;
process.stdout.write(`scores: ${key}; ${common.length} utterances in every file\n\n`);
process.stdout.write(`| group | n | ${names.join(' | ')} |\n| --- | --- |${' --- |'.repeat(cols)}\n`);
const total = { n: 0, errors: new Array(files.length + 1).fill(0) };
for (const [group, g] of groups) {
  const cells = g.errors.slice(0, cols).map((e) => `${e} errors (${((100 * (g.n - e)) / g.n).toFixed(1)} %)`);
  process.stdout.write(`| ${group} | ${g.n} | ${cells.join(' | ')} |\n`);
  total.n += g.n;
  g.errors.forEach((e, i) => (total.errors[i] += e));
}
const cells = total.errors.slice(0, cols).map((e) => `${e} errors (${((100 * (total.n - e)) / total.n).toFixed(2)} %)`);
process.stdout.write(`| **all** | ${total.n} | ${cells.join(' | ')} |\n`);
