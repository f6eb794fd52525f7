import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '@appliedml/engine';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelledNpz } from './adbench';
import { readLabels } from './labels';
import { takeRows } from './matrix';
import { readRecords } from './records';
import { checkTransaction, TransactionFeatures } from './stream';
import { generateTransactions } from './synthetic';
import { chooseThreshold } from './thresholds';

// The SDK's helpers (readers, generators, thresholds, the card state) on arguments a caller gets wrong:
// typed errors, never a TypeError, a RangeError, a hang or silently ignored options.
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-helpers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? `untyped ${(e as Error).name}`;
  }
  return 'returned';
};

describe('helper arguments', () => {
  it('takeRows and readLabels refuse what is not a matrix, a list of indices or a row count', () => {
    const m = { data: new Float64Array([1, 2, 3, 4]), rows: 2, cols: 2 };
    expect(code(() => takeRows(null as never, [0]))).toBe('E_INPUT_INVALID');
    expect(code(() => takeRows(m, null as never))).toBe('E_INPUT_INVALID');
    expect(code(() => takeRows(m, { length: 1e12 } as never))).toBe('E_INPUT_TOO_LARGE');
    // A matrix whose data does not fill rows × cols would read zeros.
    expect(code(() => takeRows({ data: new Float64Array(3), rows: 2, cols: 2 }, [1]))).toBe('E_SHAPE_MISMATCH');
    expect(Array.from(takeRows(m, [1, 0]).data)).toEqual([3, 4, 1, 2]);
    expect(code(() => readLabels({ length: -1 }, -1))).toBe('E_INPUT_INVALID');
    expect(code(() => readLabels([0, 1], 1.5))).toBe('E_INPUT_INVALID');
  });

  it('generateTransactions checks its options and bounds its size', () => {
    for (const options of [
      null,
      { card: 3 },
      { start: Number.NaN },
      { start: '2026-01-01' },
      { days: -1 },
      { fraudCardShare: 5 },
      { cards: '3' },
      { cards: 2.5 },
    ])
      expect(
        code(() => generateTransactions(options as never)),
        JSON.stringify(options),
      ).toBe('E_INPUT_INVALID');
    expect(code(() => generateTransactions({ cards: 1_000_000, days: 30 }))).toBe('E_INPUT_TOO_LARGE');
    const few = generateTransactions({ cards: 3, days: 2, seed: 1 });
    expect(few.length).toBeGreaterThan(0);
    for (const tx of few) expect(Number.isFinite(tx.timestamp)).toBe(true);
  });

  it('TransactionFeatures refuses null, misspelt options and windows given as strings', () => {
    expect(code(() => new TransactionFeatures(null as never))).toBe('E_INPUT_INVALID');
    expect(code(() => new TransactionFeatures({ historysize: 5 } as never))).toBe('E_INPUT_INVALID');
    expect(code(() => new TransactionFeatures({ windowsSeconds: ['3600', 3600] as never }))).toBe('E_INPUT_INVALID');
    expect(code(() => checkTransaction({ card: 'c', amount: 1, timestamp: 0 }, 'bogus' as never))).toBe('E_INPUT_INVALID');
  });

  it('chooseThreshold takes numbers as targets and only the cost fields it knows', () => {
    const scores = [0.1, 0.9, 0.4, 0.8];
    const labels = [0, 1, 0, 1];
    for (const rule of [
      { targetPrecision: '0.5' },
      { targetRecall: [0.5] },
      { targetPrecision: true },
      { cost: { falsePositive: 1, falseNegative: 5, fn: 2 } },
    ])
      expect(
        code(() => chooseThreshold(scores, rule as never, labels)),
        JSON.stringify(rule),
      ).toBe('E_INPUT_INVALID');
    // A rule inherited from a prototype is no rule of this object.
    expect(code(() => chooseThreshold(scores, Object.create({ topK: 1 }) as never))).toBe('E_INPUT_INVALID');
    expect(chooseThreshold(scores, { targetRecall: 1 }, labels).threshold).toBe(0.8);
  });
});

describe('records files', () => {
  it('readRecords refuses bad arguments, a directory and a FIFO (no hang), and reads a good file', async () => {
    const good = join(dir, 'good.jsonl');
    await writeFile(good, '{"a":1}\n{"a":2}\n');
    await expect(readRecords(null as never)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(readRecords(good, null as never)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(readRecords(good, { maxbytes: 5 } as never)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(readRecords(good, { maxBytes: Number.NaN })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(readRecords(good, { maxBytes: 5 })).rejects.toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
    const folder = join(dir, 'folder.jsonl');
    await mkdir(folder);
    await expect(readRecords(folder)).rejects.toMatchObject({ code: 'E_IO', message: expect.stringContaining('a directory') });
    const fifo = join(dir, 'fifo.jsonl');
    execFileSync('mkfifo', [fifo]);
    await expect(readRecords(fifo)).rejects.toMatchObject({ code: 'E_IO', message: expect.stringContaining('not a regular file') });
    expect(await readRecords(good)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('readLabelledNpz refuses non-finite values and an empty X, naming the cell', async () => {
    const npz = (X: number[], shape: [number, number], y: number[]): Uint8Array =>
      zipSync({ 'X.npy': writeNpy({ data: new Float64Array(X), shape }), 'y.npy': writeNpy({ data: new Float64Array(y) }) });
    await expect(readLabelledNpz(npz([1, Number.NaN, 3, 4], [2, 2], [0, 1]))).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { row: 0, col: 1 },
    });
    await expect(readLabelledNpz(npz([], [0, 2], []))).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    const ok = await readLabelledNpz(npz([1, 2, 3, 4], [2, 2], [0, 1]));
    expect(ok.x.rows).toBe(2);
  });
});

describe('saved card state', () => {
  const base = (): ReturnType<TransactionFeatures['toState']> => {
    const f = new TransactionFeatures();
    f.update({ card: 'c1', amount: 10, timestamp: Date.UTC(2026, 0, 1) });
    f.update({ card: 'c1', amount: 12, timestamp: Date.UTC(2026, 0, 2) });
    return JSON.parse(JSON.stringify(f.toState())) as ReturnType<TransactionFeatures['toState']>;
  };
  type Entity = { times: number[]; amounts: number[]; merchants: string[] };
  const entity = (s: ReturnType<TransactionFeatures['toState']>): Entity => (s.entities[0] as unknown as [string, Entity])[1];

  it('refuses out-of-range amounts and times, too many cards or entries, and options that are no object', () => {
    const edits: Array<[string, (s: ReturnType<TransactionFeatures['toState']>) => void]> = [
      ['negative amount', (s) => void (entity(s).amounts[0] = -50)],
      ['huge amount', (s) => void (entity(s).amounts[0] = 1e308)],
      ['time beyond a Date', (s) => void (entity(s).times[1] = 1e300)],
      ['longer history than historySize', (s) => void ((s.options as { historySize: number }).historySize = 1)],
      [
        'more cards than maxEntities',
        (s) => {
          (s.options as { maxEntities: number }).maxEntities = 1;
          s.entities.push(['c2', s.entities[0]![1]]);
        },
      ],
      ['options a number', (s) => void ((s as { options: unknown }).options = 5)],
    ];
    for (const [name, edit] of edits) {
      const state = base();
      edit(state);
      expect(
        code(() => TransactionFeatures.fromState(state)),
        name,
      ).toBe('E_BUNDLE_CORRUPT');
    }
    // Times are kept in ms for a stream in seconds too: a time after 2243 (over 8.64e12 ms) round-trips.
    const seconds = new TransactionFeatures({ timeUnit: 's' });
    seconds.update({ card: 'c1', amount: 10, timestamp: 9e9 });
    expect(TransactionFeatures.fromState(JSON.parse(JSON.stringify(seconds.toState())) as never).size).toBe(1);
    // A field a later version saved beside the options is ignored.
    const later = base();
    (later.options as Record<string, unknown>).futureOption = 1;
    expect(TransactionFeatures.fromState(later).size).toBe(1);
  });
});
