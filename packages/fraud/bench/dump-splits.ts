// Writes the bench's own ADBench test splits (the row indices `trainTestSplit` holds out for seeds 0, 1, 2)
// to a JSON file, so a Python peer can be scored on exactly the same rows:
//
//   APPLIEDML_DATA_DIR=../shared/datasets npx tsx --conditions=@appliedml/source packages/fraud/bench/dump-splits.ts [out.json] [set …]
//   /usr/bin/python3 packages/fraud/bench/sklearn-hgb-peer.py out.json
//
// The file holds indices only (no data); keep it out of git (default .bench-out/fraud-splits.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { trainTestSplit } from '@appliedml/engine';
import { ADBENCH_FILES, loadAdbench } from '../src/adbench';

const HERE = typeof __dirname === 'string' ? __dirname : join(process.cwd(), 'bench');

async function main(): Promise<void> {
  const [outArg, ...setArgs] = process.argv.slice(2);
  const out = outArg ?? join(HERE, '../../../.bench-out/fraud-splits.json');
  const sets = setArgs.length ? setArgs : Object.keys(ADBENCH_FILES);
  const splits: Record<string, { file: string; test: number[][] }> = {};
  for (const set of sets) {
    const data = await loadAdbench(set);
    splits[set] = {
      file: ADBENCH_FILES[set] as string,
      test: [0, 1, 2].map((seed) => trainTestSplit(data.x.rows, { testFraction: 0.3, seed, stratify: data.y }).test),
    };
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ seeds: [0, 1, 2], splits }));
  console.log(`wrote ${out} (${sets.join(', ')})`);
}

void main();
