import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TransactionScorer, generateTransactions } from '@appliedml/fraud';
import { describe, expect, it } from 'vitest';
import { loadTransactions, toTransaction } from './data';
import { htmlTable, renderHtmlReport } from './report';

describe('fraud demo', () => {
  it('renders an HTML report with ROC and PR curves', () => {
    const labels = [0, 0, 1, 0, 1, 0];
    const scores = [0.1, 0.2, 0.9, 0.3, 0.4, 0.5];
    const html = renderHtmlReport('t', ['SYNTHETIC'], htmlTable(['a'], [['<b>']]), [
      { title: 'x', labels, scores, aucroc: 0.75, aucpr: 0.8 },
    ]);
    expect(html).toContain('<svg');
    expect(html.match(/<path /g)).toHaveLength(2);
    expect(html).toContain('&#60;b&#62;');
    expect(html).toContain('AUCROC 75.00');
  });

  it('the embedded default is the synthetic stream and says so', async () => {
    const d = await loadTransactions('synthetic');
    expect(d.synthetic).toBe(true);
    expect(d.source).toMatch(/SYNTHETIC/);
    await expect(loadTransactions('data.parquet')).rejects.toMatchObject({ code: 'E_FORMAT_UNSUPPORTED' });
  });

  it('a CSV with epoch-millisecond timestamps reads them as times, like the same rows as JSONL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fraud-demo-data-'));
    try {
      const rows = [
        { card: 'c1', amount: 12.5, timestamp: 1767225600000, merchant: 'm1', label: 0 },
        { card: 'c1', amount: 900, timestamp: 1767229200000, merchant: 'm2', label: 1 },
      ];
      const csv = join(dir, 'tx.csv');
      const jsonl = join(dir, 'tx.jsonl');
      await writeFile(csv, `card,amount,timestamp,merchant,label\n${rows.map((r) => Object.values(r).join(',')).join('\n')}\n`);
      await writeFile(jsonl, rows.map((r) => JSON.stringify(r)).join('\n'));
      const fromCsv = await loadTransactions(csv);
      expect(fromCsv.txs.map((t) => t.timestamp)).toEqual([1767225600000, 1767229200000]);
      expect(fromCsv).toEqual({ ...(await loadTransactions(jsonl)), source: csv });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('score: a transaction that is not JSON is a typed error on stderr, not a stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fraud-demo-cli-'));
    try {
      const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
      await scorer.train(generateTransactions({ cards: 20, days: 3, seed: 1 }));
      await scorer.save(join(dir, 'model'));
      scorer.dispose();
      const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
      const run = (tx: string) =>
        spawnSync(
          process.execPath,
          ['--import', 'tsx', '--conditions=@appliedml/source', cli, 'score', '--model', join(dir, 'model'), '--tx', tx],
          {
            encoding: 'utf8',
            timeout: 60_000,
          },
        );
      const bad = run('{"card":"c1","amount":5');
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/E_INPUT_INVALID: --tx is not a JSON transaction/);
      expect(bad.stderr).not.toMatch(/SyntaxError|at JSON\.parse/);
      const good = run('{"card":"c1","amount":5,"timestamp":1767225600000}');
      expect(good.status, good.stderr).toBe(0);
      expect(JSON.parse(good.stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({ decision: expect.stringMatching(/^(alert|pass)$/) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('train refuses timestamps that look like Unix seconds without --time-unit s (naming the line); --time-unit s reads them so; another unit is a typed error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fraud-demo-seconds-'));
    try {
      const txs = generateTransactions({ cards: 20, days: 3, seed: 1 }).map(({ card, amount, timestamp, merchant }) => ({
        card,
        amount,
        timestamp: Math.floor(timestamp / 1000),
        merchant,
      }));
      const file = join(dir, 'seconds.jsonl');
      await writeFile(file, `${txs.map((t) => JSON.stringify(t)).join('\n')}\n`);
      const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
      const train = (...flags: string[]) =>
        spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            '--conditions=@appliedml/source',
            cli,
            'train',
            '--data',
            file,
            '--detector',
            'ecod',
            '--out',
            join(dir, 'm'),
            ...flags,
          ],
          { encoding: 'utf8', timeout: 60_000 },
        );
      // Read as milliseconds they would be January 1970: refused, naming the line and the flag to use.
      const asMs = train();
      expect(asMs.status).toBe(1);
      expect(asMs.stderr).toMatch(
        /^error E_INPUT_INVALID: \S+seconds\.jsonl: line 1, field 'timestamp': \d{10} is not a plausible epoch-milliseconds time; .*--time-unit s\.\n$/,
      );
      const asS = train('--time-unit', 's');
      expect(asS.status, asS.stderr).toBe(0);
      expect(asS.stderr).not.toMatch(/warning: Every timestamp/);
      // No country field: the scorer says what that means for new_country (bbdd832's wording).
      expect(asS.stderr).toMatch(/warning: No training transaction names a country, so new_country is 0 on every one/);
      const bad = train('--time-unit', 'us');
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/E_INPUT_INVALID: timeUnit must be 'ms' or 's'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('labels in a file are read strictly: a gap names its row; 1.0 / 0.0 from a float column are labels', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fraud-demo-labels-'));
    try {
      const tx = (i: number, label: unknown) => ({ card: 'c1', amount: 10 + i, timestamp: 1767225600000 + i * 1000, label });
      const gap = join(dir, 'gap.jsonl');
      await writeFile(gap, [tx(0, 0), tx(1, ' '), tx(2, 1)].map((r) => JSON.stringify(r)).join('\n'));
      await expect(loadTransactions(gap)).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        message: `${gap}: line 2, field 'label': " " is not a label; labels are 0 or 1, and a file with labels needs one on every transaction.`,
        details: { file: gap, line: 2, field: 'label' },
      });
      const csv = join(dir, 'gap.csv');
      await writeFile(csv, 'card,amount,timestamp,label\nc1,10,1767225600000,0\nc1,11,1767225601000,\nc1,12,1767225602000,1\n');
      await expect(loadTransactions(csv)).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(/^\S+gap\.csv: line 3, field 'label': null is not a label/),
      });
      const floats = join(dir, 'floats.csv');
      await writeFile(floats, 'card,amount,timestamp,label\nc1,10,1767225600000,0.0\nc1,11,1767225601000,1.0\n');
      expect((await loadTransactions(floats)).labels).toEqual([0, 1]);
      const none = join(dir, 'none.csv');
      await writeFile(none, 'card,amount,timestamp\nc1,10,1767225600000\n');
      expect((await loadTransactions(none)).labels).toBeUndefined();
      // Amounts as text are decimal; anything else is refused with its line (the SDK's check), not read as 0 or 16.
      const amounts = join(dir, 'amounts.jsonl');
      await writeFile(amounts, ['12.5', '7'].map((amount, i) => JSON.stringify({ ...tx(i, 0), amount })).join('\n'));
      expect((await loadTransactions(amounts)).txs.map((t) => t.amount as unknown)).toEqual([12.5, 7]);
      for (const amount of ['0x10', '', null]) {
        await writeFile(amounts, [12.5, amount].map((a, i) => JSON.stringify({ ...tx(i, 0), amount: a })).join('\n'));
        await expect(loadTransactions(amounts)).rejects.toMatchObject({
          code: 'E_INPUT_INVALID',
          message: expect.stringMatching(/amounts\.jsonl: line 2: Transaction field amount must be a finite number/),
          details: { field: 'amount', line: 2 },
        });
      }
      expect(toTransaction({ card: 'c1', amount: '0x10', timestamp: 1767225600000 }).amount).toBe('0x10');
      // Blank or null merchant / country cells are absent, not the text 'null'; `score` reads JSON the same way.
      const blanks = join(dir, 'blanks.csv');
      await writeFile(blanks, 'card,amount,timestamp,merchant,country\nc1,10,1767225600000,,\nc1,11,1767225601000,m1,FR\n');
      const [first, second] = (await loadTransactions(blanks)).txs;
      expect(first).toEqual({ card: 'c1', amount: 10, timestamp: 1767225600000 });
      expect(second).toMatchObject({ merchant: 'm1', country: 'FR' });
      expect(toTransaction({ card: 'c1', amount: '912.50', timestamp: '2026-01-01T00:00:00Z', merchant: null })).toEqual({
        card: 'c1',
        amount: 912.5,
        timestamp: '2026-01-01T00:00:00Z',
      });
      expect(() => toTransaction(null as never)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
