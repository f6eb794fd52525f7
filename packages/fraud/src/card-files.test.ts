import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync } from 'node:fs';
import { cp, mkdir, mkdtemp, open, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
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
    // history.f64 (6.1 MB) is read and hashed 4 MB at a time: a byte flipped in its second chunk is caught.
    const flipped = join(dir, 'big-flipped');
    await cp(path, flipped, { recursive: true });
    const handle = await open(join(flipped, 'history.f64'), 'r+');
    try {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, 5_000_000);
      byte.writeUInt8(byte.readUInt8(0) ^ 1, 0);
      await handle.write(byte, 0, 1, 5_000_000);
    } finally {
      await handle.close();
    }
    expect(await codeOf(TransactionScorer.load(flipped))).toBe(
      `E_BUNDLE_CORRUPT: Transaction scorer at ${flipped}: history.f64 does not match its checksum (edited or damaged).`,
    );
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

describe('card files are checked before they are read, and a save meanwhile is not "damage"', () => {
  /** Rewrites stream.json with `edit` applied and its checksum recomputed (as a save would write it). */
  async function rewrite(path: string, edit: (s: Record<string, unknown>) => void): Promise<void> {
    const file = join(path, 'stream.json');
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    delete saved.sha256;
    edit(saved);
    await writeFile(file, JSON.stringify({ ...saved, sha256: createHash('sha256').update(JSON.stringify(saved)).digest('hex') }));
  }
  let path: string;
  beforeAll(async () => {
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(generateTransactions({ cards: 20, days: 3, seed: 9 }));
    path = join(dir, 'checked');
    await scorer.save(path);
    scorer.dispose();
  });
  const copy = async (): Promise<string> => {
    const to = join(dir, `checked-${Math.random()}`);
    await cp(path, to, { recursive: true });
    return to;
  };

  it('a cards.jsonl of another size is refused before it is read (one 8 MB line said "line 1 is not JSON" after reading it all)', async () => {
    const to = await copy();
    const recorded = (await readFile(join(to, 'cards.jsonl'))).byteLength;
    await writeFile(join(to, 'cards.jsonl'), 'x'.repeat(8 << 20));
    expect(await codeOf(TransactionScorer.load(to))).toBe(
      `E_BUNDLE_CORRUPT: Transaction scorer at ${to}: cards.jsonl does not match its checksum (edited or damaged): ${8 << 20} bytes, not ${recorded}.`,
    );
  });

  it('a line longer than any card can be is refused without holding it whole, even when the recorded size says so', async () => {
    const to = await copy();
    const text = 'x'.repeat(300_000);
    await writeFile(join(to, 'cards.jsonl'), text);
    await rewrite(to, (s) => {
      const cards = s.cards as { files: Record<string, { bytes: number; sha256: string }> };
      cards.files['cards.jsonl'] = { bytes: text.length, sha256: createHash('sha256').update(text).digest('hex') };
    });
    expect(await codeOf(TransactionScorer.load(to))).toMatch(
      /^E_BUNDLE_CORRUPT: .*cards\.jsonl line 1 is longer than a card can be \(over \d+ bytes\)\.$/,
    );
  });

  it.runIf(process.platform !== 'win32')(
    'a FIFO in place of stream.json, cards.jsonl or history.f64 is refused at once, naming it (the load waited for a writer for ever)',
    async () => {
      for (const [file, what] of [
        ['history.f64', 'card file'],
        ['cards.jsonl', 'card file'],
        ['stream.json', 'scorer file'],
      ] as const) {
        const to = await copy();
        const fifo = join(to, file);
        await unlink(fifo);
        execFileSync('mkfifo', [fifo]);
        // A load that opens the FIFO waits for a writer: after 1 s one opens and closes it, so the old code
        // ends (and fails here) instead of holding one of libuv's threads until the process exits.
        let hung = false;
        const timer = setTimeout(() => {
          hung = true;
          try {
            closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
          } catch {
            // No reader is waiting on it.
          }
        }, 1000);
        const error = await TransactionScorer.load(to).then(
          (s) => s.dispose(),
          (e: unknown) => e,
        );
        clearTimeout(timer);
        expect(hung, file).toBe(false);
        expect(error).toMatchObject({
          code: 'E_BUNDLE_CORRUPT',
          message: `Transaction scorer at ${to}: cannot read ${what} ${fifo}: it is a FIFO (named pipe), not a regular file.`,
          details: { path: fifo, reason: 'not-a-regular-file', dir: to, file },
        });
      }
    },
    10_000,
  );

  it('a directory in place of a card file or stream.json is named as one (it read as "does not match its checksum … 4096 bytes")', async () => {
    for (const [file, what] of [
      ['history.f64', 'card file'],
      ['cards.jsonl', 'card file'],
      ['stream.json', 'scorer file'],
    ] as const) {
      const to = await copy();
      await unlink(join(to, file));
      await mkdir(join(to, file));
      expect(await codeOf(TransactionScorer.load(to))).toBe(
        `E_BUNDLE_CORRUPT: Transaction scorer at ${to}: cannot read ${what} ${join(to, file)}: it is a directory, not a regular file.`,
      );
    }
    // Missing ones keep their words and code.
    const to = await copy();
    await unlink(join(to, 'history.f64'));
    await expect(TransactionScorer.load(to)).rejects.toMatchObject({
      code: 'E_BUNDLE_MISSING',
      message: `Transaction scorer at ${to}: history.f64 is missing.`,
      details: { reason: 'ENOENT', file: 'history.f64' },
    });
  });

  it('a card count over the saved maxEntities is refused before the files are read', async () => {
    const to = await copy();
    await rewrite(to, (s) => {
      (s.state as { options: { maxEntities: number } }).options.maxEntities = 10;
      (s.cards as { count: number }).count = 11;
    });
    expect(await codeOf(TransactionScorer.load(to))).toMatch(
      /^E_BUNDLE_CORRUPT: .*stream\.json counts 11 cards, over its maxEntities \(10\)\.$/,
    );
  });

  it('stream.json says its format (2, nothing frozen); a later one is E_BUNDLE_INCOMPATIBLE "saved by a newer version", not corrupt', async () => {
    const to = await copy();
    expect((JSON.parse(await readFile(join(to, 'stream.json'), 'utf8')) as { format?: number }).format).toBe(2);
    await rewrite(to, (s) => void (s.format = 4));
    expect(await codeOf(TransactionScorer.load(to))).toBe(
      `E_BUNDLE_INCOMPATIBLE: Transaction scorer at ${to} was saved by a newer version of @appliedml/fraud (stream.json format 4; this version reads up to 3). Upgrade @appliedml/fraud to load it.`,
    );
    await rewrite(to, (s) => void (s.format = 'two'));
    expect(await codeOf(TransactionScorer.load(to))).toMatch(/^E_BUNDLE_CORRUPT: .*stream\.json's format is "two"\.$/);
  });

  it('loads while another scorer keeps saving to the same folder: each load is one save, whole, never "edited or damaged"', async () => {
    const a = TransactionScorer.create({ detector: { detector: 'ecod' } });
    const b = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await a.train(generateTransactions({ cards: 400, days: 4, seed: 10 }));
    await b.train(generateTransactions({ cards: 900, days: 4, seed: 11 }));
    const to = join(dir, 'busy');
    await a.save(to);
    let saving = true;
    const saver = (async () => {
      for (let i = 0; saving; i++) await (i % 2 ? a : b).save(to);
    })();
    const errors: string[] = [];
    const sizes = new Set<number>();
    try {
      for (let i = 0; i < 25; i++) {
        try {
          const s = await TransactionScorer.load(to);
          sizes.add(s.entities);
          s.dispose();
        } catch (e) {
          errors.push(AppliedMLError.isInstance(e) ? `${e.code}: ${e.message}` : String(e));
        }
      }
    } finally {
      saving = false;
      await saver;
    }
    // E_BUSY if saves kept replacing it three times in a row; never a corrupt or a mixed state, nor
    // "stream.json is missing" between a save's two renames (that save is waited for).
    expect(errors.filter((e) => !e.startsWith('E_BUSY'))).toEqual([]);
    for (const n of sizes) expect([a.entities, b.entities]).toContain(n);
    a.dispose();
    b.dispose();
  }, 60_000);
});
