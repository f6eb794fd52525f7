import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';
import { readRecords } from './records';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-records-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readRecords', () => {
  it('reads CSV and JSONL into records a detector trains on', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => ({
      amount: 10 + (i % 7),
      channel: i % 2 ? 'web' : 'pos',
      when: `2026-01-0${1 + (i % 9)}T1${i % 10}:00:00Z`,
    }));
    await writeFile(join(dir, 'a.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n\n');
    await writeFile(join(dir, 'a.csv'), 'amount,channel,when\n' + lines.map((l) => `${l.amount},${l.channel},${l.when}`).join('\n'));
    const j = await readRecords(join(dir, 'a.jsonl'));
    const c = await readRecords(join(dir, 'a.csv'));
    expect(j).toHaveLength(50);
    expect(c).toHaveLength(50);
    const model = FraudDetector.create({ detector: 'ecod' });
    await model.train(c);
    expect(model.featureNames).toEqual(['amount', 'channel=pos', 'channel=web', 'when:hour_rarity', 'when:weekday_rarity']);
    expect(Array.from(model.scores(j))).toEqual(Array.from(model.scores(c)));
    model.dispose();
  });

  it('a JSONL file with a byte-order mark and upper-case extensions read', async () => {
    const jsonl = join(dir, 'BOM.JSONL');
    await writeFile(jsonl, '\uFEFF{"amount":5}\n{"amount":6}\n');
    expect(await readRecords(jsonl)).toEqual([{ amount: 5 }, { amount: 6 }]);
    const csv = join(dir, 'UPPER.CSV');
    await writeFile(csv, 'amount\n5\n');
    expect(await readRecords(csv)).toHaveLength(1);
  });

  it('bad files are typed errors', async () => {
    await writeFile(join(dir, 'bad.jsonl'), '{"a":1}\n{oops\n');
    await writeFile(join(dir, 'arr.jsonl'), '[1,2]\n');
    await writeFile(join(dir, 'empty.jsonl'), '\n');
    await writeFile(join(dir, 'x.parquet'), 'PAR1');
    await expect(readRecords(join(dir, 'bad.jsonl'))).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { line: 2 } });
    await expect(readRecords(join(dir, 'arr.jsonl'))).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(readRecords(join(dir, 'empty.jsonl'))).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(readRecords(join(dir, 'x.parquet'))).rejects.toMatchObject({ code: 'E_FORMAT_UNSUPPORTED' });
    await expect(readRecords(join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 'E_IO' });
    await expect(readRecords(join(dir, 'bad.jsonl'), { maxBytes: 4 })).rejects.toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
  });
});
