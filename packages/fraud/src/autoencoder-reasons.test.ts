import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';

// The autoencoder's reasons were its raw per-feature reconstruction errors: a categorical split three
// ways (~33 % each) carried error on its own level's column on every row, so 'channel = web (33% of
// training rows; …)' took a reason slot on nearly every row and every alert (ECOD's reasons had lost it
// in c38ccdb). Reasons now count a feature's error above its typical training error (the median, kept
// in the bundle), and a categorical only for a state rare in training (ECOD's rule).

type Purchase = { amount: number; items: number; channel: string };

let root: string;
let rows: Purchase[];
let model: FraudDetector;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fraud-ae-reasons-'));
  const rng = createRng(11);
  const channels = ['web', 'pos', 'app'];
  // Three channels at ~33 % each, and 'atm' on 1 % of the rows.
  rows = Array.from({ length: 3000 }, (_, i) => ({
    amount: Math.round(Math.exp(3 + rng.next()) * 100) / 100,
    items: 1 + Math.floor(rng.next() * 4),
    channel: i % 100 === 7 ? 'atm' : (channels[Math.floor(rng.next() * 3)] as string),
  }));
  model = FraudDetector.create({ detector: 'autoencoder', seed: 0 });
  await model.train(rows);
});
afterAll(async () => {
  model.dispose();
  await rm(root, { recursive: true, force: true });
});

const namesChannel = (p: { reasons: { feature: string }[] }): boolean => p.reasons.some((r) => r.feature === 'channel');

describe('autoencoder reasons', () => {
  it('a level of a three-way split is no reason on any row; a 1 % level is one; a planted large amount is the first reason', async () => {
    const predictions = await model.predictBatch(rows);
    const common = predictions.filter((_, i) => rows[i]!.channel !== 'atm');
    expect(common.filter(namesChannel)).toEqual([]);
    // The 1 % level stays a reason.
    const atm = predictions.filter((_, i) => rows[i]!.channel === 'atm');
    expect(atm.filter(namesChannel).length).toBeGreaterThan(atm.length / 2);
    const alerts = predictions.filter((p) => p.isFraud);
    expect(alerts.length).toBeGreaterThan(0);
    // Every alert still says why.
    expect(alerts.every((p) => p.reasons.length > 0)).toBe(true);
    const [planted] = await model.predictBatch([{ amount: 5000, items: 2, channel: 'web' }]);
    expect(planted!.isFraud).toBe(true);
    expect(planted!.reasons[0]!.feature).toBe('amount');
    expect(planted!.reasons[0]!.text).toMatch(/^amount = 5000 \(\d+× the training median/);
    expect(namesChannel(planted!)).toBe(false);
  });

  it('saved and loaded, it scores and explains the same; a bundle saved before (no typical errors) explains from the raw errors, as it did', async () => {
    const dir = join(root, 'saved');
    await model.save(dir);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
      manifestSha256?: string;
      packageVersion: string;
      config: { state: { autoencoderTypicalError?: number[] } };
    };
    const typical = manifest.config.state.autoencoderTypicalError;
    expect(typical).toHaveLength(6);
    const sample = rows.slice(0, 300);
    const before = await model.predictBatch(sample);

    const loaded = await FraudDetector.load(dir);
    expect(await loaded.predictBatch(sample)).toEqual(before);
    loaded.dispose();

    // As an earlier version saved it: the same network and state without the field (the seal dropped).
    const older = join(root, 'older');
    await cp(dir, older, { recursive: true });
    delete manifest.manifestSha256;
    delete manifest.config.state.autoencoderTypicalError;
    await writeFile(join(older, 'manifest.json'), JSON.stringify(manifest));
    const old = await FraudDetector.load(older);
    const oldPredictions = await old.predictBatch(sample);
    expect(oldPredictions.map((p) => p.score)).toEqual(before.map((p) => p.score));
    expect(oldPredictions.filter(namesChannel).length).toBeGreaterThan(sample.length / 2);
    old.dispose();

    // A newer version's save holding the field loads: this version knows it (KNOWN_BUNDLE).
    const newer = join(root, 'newer');
    await cp(dir, newer, { recursive: true });
    manifest.packageVersion = '9.1.0';
    manifest.config.state.autoencoderTypicalError = typical;
    await writeFile(join(newer, 'manifest.json'), JSON.stringify(manifest));
    const fromNewer = await FraudDetector.load(newer);
    expect(await fromNewer.predictBatch(sample)).toEqual(before);
    fromNewer.dispose();

    // A damaged field is refused, not read.
    const bad = join(root, 'bad');
    await cp(dir, bad, { recursive: true });
    manifest.packageVersion = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')).packageVersion as string;
    manifest.config.state.autoencoderTypicalError = [1, 2];
    await writeFile(join(bad, 'manifest.json'), JSON.stringify(manifest));
    await expect(FraudDetector.load(bad)).rejects.toMatchObject({
      code: 'E_BUNDLE_CORRUPT',
      message: expect.stringContaining("the autoencoder's typical reconstruction errors are invalid") as unknown,
    });
  });
});
