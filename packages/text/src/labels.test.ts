import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { TextClassifier } from './text-classifier';

// Review s28 R1 item 2: labels were trimmed only. 'café' typed as one code point (NFC) and as 'e' + a
// combining accent (NFD) trained as two labels that print alike, and 'tea' + a zero-width space was a label
// apart from 'tea', while texts are NFC and read zero-width characters as blank.

const NFC = 'café';
const NFD = 'café'.normalize('NFD');
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appliedml-text-labels-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const texts = [
  'great coffee and cake',
  'lovely espresso here',
  'cold tea with lemon',
  'green tea is calming',
  'nice latte art',
  'jasmine tea pot',
];
function data(labels: [string, string]): { text: string; label: string }[] {
  return texts.map((text) => ({ text, label: text.includes('tea') ? labels[1] : labels[0] }));
}
async function failure(run: () => Promise<unknown>): Promise<AppliedMLError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!AppliedMLError.isInstance(error)) throw new Error(`expected an AppliedMLError, got ${String(error)}`);
  return error;
}

describe('labels are NFC, and refused holding characters that do not print', () => {
  it('NFC and NFD spellings train as one label, kept in NFC (fails on the old code)', async () => {
    const m = TextClassifier.create({ seed: 1 });
    const examples = data([NFC, 'tea']).map((e, i) => (e.label === NFC && i % 2 === 0 ? { ...e, label: NFD } : e));
    expect(examples.some((e) => e.label === NFD)).toBe(true);
    await m.train(examples);
    expect(m.labels).toEqual([NFC, 'tea'].sort());
    expect((await m.predict('espresso and cake')).label).toBe(NFC);
    // Evaluation labels are read the same way.
    const metrics = await m.evaluate([
      { text: 'espresso and cake', label: NFD },
      { text: 'mint tea', label: 'tea' },
    ]);
    expect(metrics.accuracy).toBe(1);
    m.dispose();
  });

  it('refuses a label holding a zero-width space, word joiner, BOM or control character, naming it (fails on the old code)', async () => {
    for (const [label, code] of [
      ['tea\u200B', 'U+200B'],
      ['te\u2060a', 'U+2060'],
      ['te\uFEFFa', 'U+FEFF'],
      ['te\ta', 'U+0009'],
      ['tea\u0000', 'U+0000'],
      ['t\nea', 'U+000A'],
    ] as const) {
      const m = TextClassifier.create({});
      const error = await failure(() => m.train(data(['coffee', label])));
      expect(error.code, JSON.stringify(label)).toBe('E_INPUT_INVALID');
      expect(error.message).toContain(
        `training data[2]: the label '${label.replace(/[^\x20-\x7E]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)}' holds`,
      );
      expect(error.message).toContain(`(${code})`);
      expect(error.details).toMatchObject({ index: 2, label, character: code });
      expect(m.isTrained).toBe(false);
      m.dispose();
    }
    // Multi-label sets are checked label by label.
    const multi = TextClassifier.create({ multiLabel: true });
    const error = await failure(() =>
      multi.train(data(['coffee', 'tea']).map((e, i) => (i === 3 ? { ...e, label: ['tea', 'hot\u200B'] } : e))),
    );
    expect(error.message).toContain("training data[3]: the label 'hot\\u200B' holds a zero-width space (U+200B)");
    multi.dispose();
  });

  it('keeps the joiners that spell emoji and words (ZWJ, ZWNJ), trimmed labels and a BOM at the edge', async () => {
    const family = '👨\u200D👩\u200D👧';
    const persian = 'می\u200Cخواهم';
    const m = TextClassifier.create({ seed: 1 });
    await m.train(data([` ${family}`, `\uFEFF${persian} `]));
    expect(m.labels).toEqual([family, persian].sort());
    m.dispose();
  });

  it('a bundle saved with an NFD label (before labels were normalised) loads and predicts it unchanged, and evaluates', async () => {
    const m = TextClassifier.create({ seed: 1 });
    await m.train(data(['coffee', 'tea']));
    const saved = join(dir, 'nfd');
    await m.save(saved);
    const expected = await m.predictBatch(['espresso and cake', 'mint tea']);
    m.dispose();
    // Rename the label 'coffee' to an NFD 'café' in the manifest, as an older version could have saved it.
    const manifestPath = join(saved, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      preprocessing: { labels: string[]; positiveLabel?: string | null };
      manifestSha256?: string;
    };
    delete manifest.manifestSha256; // unsealed: the loader checks the values themselves
    manifest.preprocessing.labels = manifest.preprocessing.labels.map((l) => (l === 'coffee' ? NFD : l));
    if (manifest.preprocessing.positiveLabel === 'coffee') manifest.preprocessing.positiveLabel = NFD;
    await writeFile(manifestPath, JSON.stringify(manifest));
    const loaded = await TextClassifier.load(saved);
    expect(loaded.labels).toContain(NFD);
    const got = await loaded.predictBatch(['espresso and cake', 'mint tea']);
    expect(got.map((p) => p.label)).toEqual(expected.map((p) => (p.label === 'coffee' ? NFD : p.label)));
    expect(got.map((p) => Object.values(p.scores))).toEqual(expected.map((p) => Object.values(p.scores)));
    for (const label of [NFD, NFC]) {
      const metrics = await loaded.evaluate([
        { text: 'espresso and cake', label },
        { text: 'mint tea', label: 'tea' },
      ]);
      expect(metrics.accuracy).toBe(1);
    }
    loaded.dispose();
  });
});

// Review s28 R4: a9a22d2 normalised training labels but matched the names a caller gives exactly, so
// consistently-NFD input broke ("classWeight names 'café', 'thé', not among the training labels (café,
// thé)"), and evaluating a bundle saved before refused the labels it holds with a zero-width space or tab.
describe('label names given to train, evaluate and explain are read as training labels are', () => {
  const THE = 'thé'.normalize('NFD');
  const nfdData = (): { text: string; label: string }[] => data([NFD, THE]);

  it('classWeight keyed by NFD names, as the NFD training labels are (fails on a9a22d2)', async () => {
    const plain = TextClassifier.create({ model: 'linear', seed: 1 });
    await plain.train(nfdData());
    const weighted = TextClassifier.create({ model: 'linear', seed: 1 });
    await weighted.train(nfdData(), { classWeight: { [NFD]: 1, [THE]: 20 } });
    // The weights were applied: the scores moved, and equal those of the same weights keyed in NFC.
    const byNfc = TextClassifier.create({ model: 'linear', seed: 1 });
    await byNfc.train(nfdData(), { classWeight: { [NFC]: 1, ['thé'.normalize('NFC')]: 20 } });
    const a = await plain.predict('nice latte art');
    const b = await weighted.predict('nice latte art');
    expect(b.scores).not.toEqual(a.scores);
    expect(b.scores).toEqual((await byNfc.predict('nice latte art')).scores);
    byNfc.dispose();
    // Spaces around the name, too, and the NFC spelling of an NFD-trained label.
    await weighted.train(nfdData(), { classWeight: { ' café ': 2, ['thé'.normalize('NFC')]: 1 } });
    // One label named twice with different weights is refused, naming both spellings.
    const twice = await failure(() => weighted.train(nfdData(), { classWeight: { [NFD]: 1, [NFC]: 3 } }));
    expect(twice.code).toBe('E_INPUT_INVALID');
    expect(twice.details).toMatchObject({ field: 'classWeight', names: [NFD, NFC] });
    // A name holding a zero-width space is refused for that, not as an unknown label.
    const hidden = await failure(() => weighted.train(nfdData(), { classWeight: { 'café\u200B': 2 } }));
    expect(hidden.message).toContain('zero-width space (U+200B)');
    plain.dispose();
    weighted.dispose();
  });

  it("evaluate's positiveLabel and explain's label in NFD, and given back as the model holds them (fails on a9a22d2)", async () => {
    const m = TextClassifier.create({ model: 'linear', seed: 1 });
    await m.train(nfdData());
    const byNfd = await m.evaluate(nfdData(), { positiveLabel: NFD });
    const byNfc = await m.evaluate(nfdData(), { positiveLabel: NFC });
    expect(byNfd).toEqual(byNfc);
    const byThe = await m.evaluate(nfdData(), { positiveLabel: THE });
    expect(byThe.binary?.positiveLabel).toBe('thé'.normalize('NFC'));
    expect(byNfd.binary?.positiveLabel).toBe(NFC);
    const e = await m.explain('nice latte art', { label: NFD });
    expect(e.explained).toBe(NFC);
    expect((await m.explain('nice latte art', { label: ` ${NFC} ` })).explained).toBe(NFC);
    // Still refused: a label the model does not hold, and one holding an invisible character.
    expect((await failure(() => m.explain('nice latte art', { label: 'coffee' }))).code).toBe('E_INPUT_INVALID');
    expect((await failure(() => m.evaluate(nfdData(), { positiveLabel: 'café\u200B' }))).message).toContain('U+200B');
    m.dispose();
  });

  it('a bundle saved with labels holding U+200B and a tab evaluates, explains and takes them as positiveLabel (fails on a9a22d2)', async () => {
    const m = TextClassifier.create({ seed: 1 });
    await m.train(data(['coffee', 'tea']));
    const saved = join(dir, 'hidden');
    await m.save(saved);
    m.dispose();
    // Labels an older version let through: 'tea' + U+200B and 'cof\tfee'; and an NFD one on reading.
    const ZW = 'tea\u200B';
    const TAB = 'cof\tfee';
    const manifestPath = join(saved, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      preprocessing: { labels: string[]; positiveLabel?: string | null };
      manifestSha256?: string;
    };
    delete manifest.manifestSha256;
    const rename = (l: string): string => (l === 'coffee' ? TAB : l === 'tea' ? ZW : l);
    manifest.preprocessing.labels = manifest.preprocessing.labels.map(rename);
    if (manifest.preprocessing.positiveLabel) manifest.preprocessing.positiveLabel = rename(manifest.preprocessing.positiveLabel);
    await writeFile(manifestPath, JSON.stringify(manifest));
    const loaded = await TextClassifier.load(saved);
    expect(loaded.labels).toEqual([TAB, ZW]);
    const evalData = [
      { text: 'espresso and cake', label: TAB },
      { text: 'mint tea', label: ZW },
    ];
    const metrics = await loaded.evaluate(evalData, { positiveLabel: ZW });
    expect(metrics.accuracy).toBe(1);
    expect(metrics.binary?.positiveLabel).toBe(ZW);
    expect((await loaded.explain('mint tea', { label: TAB })).explained).toBe(TAB);
    // A hidden character the model does not hold is still refused.
    const other = await failure(() => loaded.evaluate([{ text: 'mint tea', label: 'mint\u200B' }]));
    expect(other.message).toContain('U+200B');
    loaded.dispose();
  });
});
