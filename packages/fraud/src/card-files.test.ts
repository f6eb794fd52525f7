import { cp, mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TransactionScorer } from './scorer';
import { TransactionFeatures, type StreamState, type Transaction } from './stream';
import { generateTransactions } from './synthetic';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-card-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Inner = { features: TransactionFeatures };
const stateOf = (s: TransactionScorer): StreamState => (s as unknown as Inner).features.toState();

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return AppliedMLError.isInstance(e) ? `${e.code}: ${e.message}` : 'untyped';
  }
  return undefined;
}

/** `cards` cards of `per` transactions each, with merchants and countries, as saved card state. */
function bigState(options: StreamState['options'], cards: number, per: number): StreamState {
  const t0 = Date.UTC(2026, 9, 1);
  return {
    options,
    version: 2,
    entities: Array.from({ length: cards }, (_, c) => [
      `card-${c}`,
      {
        times: Array.from({ length: per }, (_, i) => t0 + c * 1000 + i * 3_600_000),
        amounts: Array.from({ length: per }, (_, i) => 10 + ((c * 31 + i * 7) % 500) + 0.25),
        merchants: [`m-${c % 97}`, `m-${c % 13}`],
        countries: ['FR'],
        merchantFirstSeen: [
          [`m-${c % 97}`, t0],
          [`m-${c % 13}`, t0 + 1],
        ],
        countryFirstSeen: [['FR', t0]],
      },
    ]),
  };
}

describe('card state on disk', () => {
  it('a scorer saved before the card files (cards inside stream.json) loads and scores as it did', async () => {
    const fixtures = join(__dirname, '__fixtures__');
    const expected = JSON.parse(await readFile(join(fixtures, 'scorer-stream-json-v1.expected.json'), 'utf8')) as {
      transactions: Transaction[];
      scores: number[];
      entities: number;
    };
    const copy = join(dir, 'legacy');
    await cp(join(fixtures, 'scorer-stream-json-v1'), copy, { recursive: true });
    const scorer = await TransactionScorer.load(copy);
    const scores: number[] = [];
    for (const tx of expected.transactions) scores.push((await scorer.score(tx)).score);
    expect(scores).toEqual(expected.scores);
    expect(scorer.entities).toBe(expected.entities);
    // Saved again, in the new form, it loads to the same state.
    await scorer.save(copy);
    const again = await TransactionScorer.load(copy);
    expect(stateOf(again)).toEqual(stateOf(scorer));
    scorer.dispose();
    again.dispose();
  });

  it('save and load keep every card: history, first-seen times, the least-recently-seen order', async () => {
    const txs = generateTransactions({ cards: 60, days: 6, seed: 8 });
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs);
    // Late arrivals and a card seen again, so order and history are not just the input order.
    await scorer.scoreAll([
      { ...txs[3]!, timestamp: txs.at(-1)!.timestamp - 5_000 },
      { ...txs[40]!, timestamp: txs.at(-1)!.timestamp + 1 },
    ]);
    const path = join(dir, 'round-trip');
    await scorer.save(path);
    const loaded = await TransactionScorer.load(path);
    expect(stateOf(loaded)).toEqual(stateOf(scorer));
    const next = { card: txs[5]!.card, amount: 77, timestamp: txs.at(-1)!.timestamp + 60_000, merchant: 'zz' };
    expect((await loaded.score(next)).score).toBe((await scorer.score(next)).score);
    // Without state: no cards.
    await scorer.save(path, { includeState: false });
    const empty = await TransactionScorer.load(path);
    expect(empty.entities).toBe(0);
    scorer.dispose();
    loaded.dispose();
    empty.dispose();
  });

  it('never holds the card state as one string: the largest JSON text stays small however many cards', async () => {
    // One string for the state failed past ~180,000 cards × 64 transactions ("Invalid string length").
    const txs = generateTransactions({ cards: 30, days: 3, seed: 4 });
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs);
    const inner = scorer as unknown as Inner;
    inner.features = TransactionFeatures.fromState(bigState(inner.features.options, 6000, 64));
    const stringify = JSON.stringify;
    let longest = 0;
    const spy = vi.spyOn(JSON, 'stringify').mockImplementation((...args: Parameters<typeof JSON.stringify>) => {
      const text = stringify(...args);
      if (typeof text === 'string') longest = Math.max(longest, text.length);
      return text;
    });
    const path = join(dir, 'big');
    try {
      await scorer.save(path);
    } finally {
      spy.mockRestore();
    }
    // The old stream.json was ~17 MB here; now no text is over a card line or stream.json's few kB.
    expect(longest).toBeLessThan(64 * 1024);
    expect((await readFile(join(path, 'history.f64'))).byteLength).toBe(6000 * 64 * 2 * 8);
    const loaded = await TransactionScorer.load(path);
    expect(loaded.entities).toBe(6000);
    expect(stateOf(loaded)).toEqual(stateOf(scorer));
    scorer.dispose();
    loaded.dispose();
  }, 60_000);

  it('a damaged, truncated or missing card file is refused', async () => {
    const txs = generateTransactions({ cards: 20, days: 3, seed: 6 });
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs);
    const path = join(dir, 'damaged');
    await scorer.save(path);
    scorer.dispose();
    for (const [file, damage, expected] of [
      ['cards.jsonl', (p: string) => truncate(p, 10), /E_BUNDLE_CORRUPT/],
      ['history.f64', (p: string) => truncate(p, 8), /E_BUNDLE_CORRUPT: .*history.f64 does not match its checksum/],
      [
        'cards.jsonl',
        async (p: string) => writeFile(p, (await readFile(p, 'utf8')).replace('card-0', 'card-X')),
        /E_BUNDLE_CORRUPT: .*cards.jsonl does not match its checksum/,
      ],
      ['cards.jsonl', (p: string) => unlink(p), /E_BUNDLE_MISSING: .*cards.jsonl is missing/],
      ['history.f64', (p: string) => unlink(p), /E_BUNDLE_MISSING: .*history.f64 is missing/],
    ] as const) {
      const copy = join(dir, `damaged-${file}-${Math.random()}`);
      await cp(path, copy, { recursive: true });
      await damage(join(copy, file));
      expect(await codeOf(TransactionScorer.load(copy))).toMatch(expected);
    }
    // Card files without stream.json's checksum (a hand edit removing it) are refused too.
    const copy = join(dir, 'no-sum');
    await cp(path, copy, { recursive: true });
    const saved = JSON.parse(await readFile(join(copy, 'stream.json'), 'utf8')) as Record<string, unknown>;
    delete saved.sha256;
    await writeFile(join(copy, 'stream.json'), JSON.stringify(saved));
    expect(await codeOf(TransactionScorer.load(copy))).toMatch(/E_BUNDLE_CORRUPT: .*no checksum/);
  });

  it("a legacy stream.json without its checksum still needs a config that fits (scorer.config reported 42, or 'gbt' beside an ECOD)", async () => {
    const fixtures = join(__dirname, '__fixtures__');
    for (const [config, expected] of [
      [42, /E_BUNDLE_CORRUPT: .*config is malformed \(42\)/],
      [{ detector: { detector: 'gbt' } }, /E_BUNDLE_CORRUPT: .*names the detector "gbt", but detector\/ holds "ecod"/],
      [{ detektor: {} }, /E_BUNDLE_CORRUPT: .*config is malformed/],
      [{ detector: { detector: 'ecod' }, features: {} }, undefined],
    ] as const) {
      const copy = join(dir, `config-${Math.random()}`);
      await cp(join(fixtures, 'scorer-stream-json-v1'), copy, { recursive: true });
      const file = join(copy, 'stream.json');
      const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      saved.config = config;
      delete saved.sha256;
      await writeFile(file, JSON.stringify(saved));
      const result = TransactionScorer.load(copy);
      if (expected) expect(await codeOf(result)).toMatch(expected);
      else (await result).dispose();
    }
  });
});
