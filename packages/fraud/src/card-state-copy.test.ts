import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CARDS_FILE, HISTORY_FILE } from './card-files';
import { TransactionScorer } from './scorer';
import { TransactionFeatures, type CardRecord } from './stream';
import { generateTransactions } from './synthetic';

// A scorer's save of 100,000 full cards copied the whole card state before writing it (toState: every
// list, and a [name, time] pair per merchant and country), +0.9 GB at its peak; its load copied the
// lists it had read twice more (pairs, then fromState's copies), half its time in garbage collection.
// The save now writes the cards from where they are held, the load keeps the lists it read; the files
// are byte for byte what the previous version wrote (its loader reads them, and this one reads its).

type Hook = (path: string) => void;
const hooks = vi.hoisted(() => ({ write: undefined as Hook | undefined }));

// Every file handle's write calls the hook first (the card files are written through them): a test
// looks at the heap there, in the middle of a save.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    open: async (...args: Parameters<typeof actual.open>) => {
      const handle = await actual.open(...args);
      const write = handle.write.bind(handle) as (...a: unknown[]) => unknown;
      (handle as unknown as { write: (...a: unknown[]) => unknown }).write = (...a: unknown[]) => {
        hooks.write?.(String(args[0]));
        return write(...a);
      };
      return handle;
    },
  };
});
afterEach(() => {
  hooks.write = undefined;
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = (): number => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

type Inner = { features: TransactionFeatures };
const featuresOf = (s: TransactionScorer): TransactionFeatures => (s as unknown as Inner).features;

let root: string;
let scorer: TransactionScorer;
/** Heap the full cards take (measured as they were added). */
let stateBytes: number;
const CARDS = 8000;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fraud-card-copy-'));
  scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
  await scorer.train(generateTransactions({ cards: 30, days: 3, seed: 1 }));
  const f = featuresOf(scorer);
  f.reset();
  const before = heap();
  // Full cards: 64 transactions, 32 merchants and 32 countries each.
  for (let k = 0; k < 64; k++)
    for (let c = 0; c < CARDS; c++)
      f.update({
        card: `card-${c}`,
        amount: k + c / 100,
        timestamp: 1.7e12 + k * 1e4 + c,
        merchant: `m-${(k + c) % 997}`,
        country: `C${k % 40}`,
      });
  stateBytes = heap() - before;
  expect(f.size).toBe(CARDS);
});
afterAll(async () => {
  scorer.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('TransactionScorer save and load of a large card state', () => {
  it('saves without a copy of the card state: the heap during the writes stays well under a second state', async () => {
    const base = heap();
    let most = 0;
    hooks.write = () => {
      most = Math.max(most, heap() - base);
    };
    await scorer.save(join(root, 'a'));
    hooks.write = undefined;
    expect(stateBytes).toBeGreaterThan(20e6);
    // The old save held a copy of every card (more than the state itself) through every write; now at
    // most a chunk of 2,048 cards' text and numbers is held at once.
    expect(most, `${(most / 1e6).toFixed(1)} MB held during the save, the state is ${(stateBytes / 1e6).toFixed(1)} MB`).toBeLessThan(
      0.5 * stateBytes,
    );
  });

  it('writes the card files byte for byte as the previous version did', async () => {
    const dir = join(root, 'b');
    await scorer.save(dir);
    // The previous writer's encoding, from the saved state's pairs: a line [card, n, merchants, their
    // first-seen times, countries, theirs] per card, then the times and amounts as float64 little-endian.
    const { entities } = featuresOf(scorer).toState();
    const times = (names: string[], pairs: Array<[string, number]> | undefined): number[] =>
      names.map((n) => new Map(pairs).get(n) as number);
    const lines = entities
      .map(
        ([card, e]) =>
          `${JSON.stringify([card, e.times.length, e.merchants, times(e.merchants, e.merchantFirstSeen), e.countries, times(e.countries, e.countryFirstSeen)])}\n`,
      )
      .join('');
    const numbers = Buffer.alloc(8 * entities.reduce((n, [, e]) => n + 2 * e.times.length, 0));
    let at = 0;
    for (const [, e] of entities) for (const v of [...e.times, ...e.amounts]) at = numbers.writeDoubleLE(v, at);
    const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
    expect(sha(await readFile(join(dir, CARDS_FILE)))).toBe(sha(lines));
    expect(sha(await readFile(join(dir, HISTORY_FILE)))).toBe(sha(numbers));
    const saved = JSON.parse(await readFile(join(dir, 'stream.json'), 'utf8')) as { cards: { count: number } };
    expect(saved.cards.count).toBe(CARDS);
  });

  it('loads into the lists it read (no copy through saved pairs) and scores as the scorer saved', async () => {
    const dir = join(root, 'a');
    const fromState = vi.spyOn(TransactionFeatures, 'fromState');
    const fromCards = vi.spyOn(TransactionFeatures, 'fromCards');
    try {
      const loaded = await TransactionScorer.load(dir);
      expect(fromState).not.toHaveBeenCalled();
      expect(fromCards).toHaveBeenCalledTimes(1);
      // The lists handed over are the ones the loaded state holds.
      const given = fromCards.mock.calls[0]![1];
      const held = [...featuresOf(loaded).cards()];
      expect(held).toHaveLength(CARDS);
      expect(held[5]![1].times).toBe(given[5]![1].times);
      expect(held[5]![1].merchantSince).toBe(given[5]![1].merchantSince);
      expect(JSON.stringify(featuresOf(loaded).toState())).toBe(JSON.stringify(featuresOf(scorer).toState()));
      const tx = { card: 'card-17', amount: 912.5, timestamp: 1.7e12 + 70 * 1e4, merchant: 'm-3', country: 'C1' };
      expect((await loaded.score(tx, { remember: false })).score).toBe((await scorer.score(tx, { remember: false })).score);
      loaded.dispose();
    } finally {
      fromState.mockRestore();
      fromCards.mockRestore();
    }
  });

  it('a save runs to the end with the cards it started with when the scorer is disposed meanwhile', async () => {
    const twin = TransactionScorer.create({ detector: { detector: 'ecod' } });
    const txs = generateTransactions({ cards: 40, days: 3, seed: 3 });
    await twin.train(txs);
    // More cards than one chunk of the card files (2,048), so the disposal lands between two chunks.
    for (let c = 0; c < 5000; c++) featuresOf(twin).update({ card: `extra-${c}`, amount: 3, timestamp: txs.at(-1)!.timestamp + c });
    const cards = twin.entities;
    expect(cards).toBeGreaterThan(5000);
    // Disposed as the card files are first written (the detector is saved by then).
    hooks.write = (path) => {
      if (path.endsWith(CARDS_FILE)) twin.dispose();
    };
    await twin.save(join(root, 'c'));
    expect(() => twin.entities).toThrow(expect.objectContaining({ code: 'E_MODEL_DISPOSED' }));
    const loaded = await TransactionScorer.load(join(root, 'c'));
    expect(loaded.entities).toBe(cards);
    loaded.dispose();
  });
});

describe('TransactionFeatures.fromCards', () => {
  const card = (over: Partial<CardRecord> = {}): CardRecord => ({
    times: [1.7e12, 1.7e12 + 1000],
    amounts: [5, 7],
    merchants: ['m1'],
    countries: ['US'],
    merchantSince: [1.7e12],
    countrySince: [1.7e12],
    ...over,
  });

  it('keeps the lists it is given, least recently seen first', () => {
    const a = card();
    const f = TransactionFeatures.fromCards({ options: new TransactionFeatures().options, version: 2 }, [
      ['a', a],
      ['b', card()],
    ]);
    const held = [...f.cards()];
    expect(held.map(([c]) => c)).toEqual(['a', 'b']);
    expect(held[0]![1].times).toBe(a.times);
    expect(f.toState().entities[0]![1].merchantFirstSeen).toEqual([['m1', 1.7e12]]);
  });

  it.each([
    ['times out of order', { times: [2e12, 1e12] }],
    ['a negative amount', { amounts: [5, -1] }],
    ['first-seen times not matching the names', { merchantSince: [] }],
    ['a first-seen time that is no number', { countrySince: [null as unknown as number] }],
  ])('refuses a card with %s (E_BUNDLE_CORRUPT)', (_, over) => {
    expect(() => TransactionFeatures.fromCards({ options: new TransactionFeatures().options }, [['x', card(over)]])).toThrow(
      expect.objectContaining({ code: 'E_BUNDLE_CORRUPT', message: 'The stored card state holds a malformed card entry (x).' }),
    );
  });
});
