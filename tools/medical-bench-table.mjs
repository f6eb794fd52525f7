#!/usr/bin/env node
// Merge the medical-imaging bench's JSON parts (.bench-out/*.json from packages/medical-imaging/bench/run.ts)
// into the Markdown tables of docs/benchmarks/medical-imaging.md.
// usage: node tools/medical-bench-table.mjs .bench-out/mi-cls.json .bench-out/mi-seg.json .bench-out/mi-torch.json
import { readFileSync } from 'node:fs';

const parts = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
const r = Object.assign({}, ...parts);
const f3 = (v) => (v === undefined || v === null || Number.isNaN(v) ? '–' : v.toFixed(3));
const f1 = (v) => (v === undefined || v === null ? '–' : v.toFixed(1));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '–');
const c = r.classifier;
const tc = r.torch?.classifier;
const s = r.segmenter;
const ts = r.torch?.segmenter;
const lines = [];
lines.push(
  '| PneumoniaMNIST test (624) | ACC | AUC | sensitivity | specificity | val AUC | epochs (kept) | train (s) | s / epoch | 1 image (ms) | batch (ms / image) |',
);
lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
if (c)
  lines.push(
    `| appliedml residual CNN (wasm) | ${f3(c.accuracy)} | ${f3(c.auc)} | ${f3(c.sensitivity)} | ${f3(c.specificity)} | ${f3(c.valAuc)} | ${c.epochsRun} (${c.selectedEpoch + 1}) | ${f1(c.trainSeconds)} | ${f1(c.trainSeconds / c.epochsRun)} | ${f3(c.latencyMs)} | ${f3(c.batchMsPerImage)} |`,
  );
if (tc)
  lines.push(
    `| PyTorch ${r.torch.torch} CPU, ${r.torch.threads} thread(s), same net | ${f3(tc.accuracy)} | ${f3(tc.auc)} | ${f3(tc.sensitivity)} | ${f3(tc.specificity)} | ${f3(tc.valAuc)} | ${tc.epochsRun} (${tc.selectedEpoch + 1}) | ${f1(tc.trainSeconds)} | ${f1(tc.trainSeconds / tc.epochsRun)} | ${f3(tc.latencyMs)} | ${f3(tc.batchMsPerImage)} |`,
  );
if (c && tc)
  lines.push(
    `| ratio appliedml / PyTorch (time per epoch, 1 image) | | | | | | | | ${ratio(c.trainSeconds / c.epochsRun, tc.trainSeconds / tc.epochsRun)} | ${ratio(c.latencyMs, tc.latencyMs)} | ${ratio(c.batchMsPerImage, tc.batchMsPerImage)} |`,
  );
lines.push('');
lines.push(
  '| Kvasir-SEG test (100) | network / scored at | Dice | IoU | val Dice | epochs (kept) | train (s) | s / epoch | 1 image (ms) | 256 × 256 (ms) |',
);
lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
if (s)
  lines.push(
    `| appliedml U-Net (wasm) | ${s.size} / ${s.input ?? s.size} | ${f3(s.dice)} | ${f3(s.iou)} | ${f3(s.valDice)} | ${s.epochsRun} (${s.selectedEpoch + 1}) | ${f1(s.trainSeconds)} | ${f1(s.trainSeconds / s.epochsRun)} | ${f3(s.latencyMs)} | ${f3(r.segmentation256?.latencyMs)} |`,
  );
if (ts)
  lines.push(
    `| PyTorch CPU, same net | ${s?.size ?? '–'} / ${s?.size ?? '–'} | ${f3(ts.dice)} | ${f3(ts.iou)} | ${f3(ts.valDice)} | ${ts.epochsRun} (${ts.selectedEpoch + 1}) | ${f1(ts.trainSeconds)} | ${f1(ts.trainSeconds / ts.epochsRun)} | – | ${f3(ts.latency256Ms)} |`,
  );
if (s && ts)
  lines.push(
    `| ratio appliedml / PyTorch | | | | | | | ${ratio(s.trainSeconds / s.epochsRun, ts.trainSeconds / ts.epochsRun)} | | ${ratio(r.segmentation256?.latencyMs, ts.latency256Ms)} |`,
  );
if (r.dicom) {
  lines.push('');
  lines.push('| DICOM file | decode (ms, median of 30) |');
  lines.push('| --- | ---: |');
  for (const [file, ms] of Object.entries(r.dicom)) lines.push(`| ${file} | ${ms.toFixed(2)} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
