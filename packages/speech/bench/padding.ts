// Background around the word (not CI): `augment.pad` off and on, trained with several seeds, each model
// scored on held-out FSDD words as they are (cut tight to the word), with 0.5 s of digital silence on each
// side, and with 0.5 s of white noise at -55 dBFS on each side (the review's conditions, r2 F1).
//   npx tsx --conditions=@appliedml/source packages/speech/bench/padding.ts --protocol inner --seeds 1,2,3
// --protocol inner (default): train on recordings 10-49 of the official training split, score 5-9 (the
//   official test split is not used: this is where a default is chosen). official: train 5-49, score the
//   250 official test recordings 0-4. loso: leave one speaker out, each speaker of --speakers (default all)
//   held out once: train on the other speakers' recordings, score all of the held-out one's; prints a table of
//   each speaker and the mean over speakers (of the mean over seeds), off beside on.
// --preset quick (default: the demo's quick preset, one small CNN) or default (the SDK defaults).
// --variants off,on  (on = augment.pad {} = AUGMENT_PAD_DEFAULTS; a JSON object = that pad)
// Prints a JSON line per model on stderr and a Markdown table of medians on stdout.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AppliedMLError, createRng } from '@appliedml/engine';
import {
  SpeechRecognizer,
  decodeWav,
  fsddOfficialSplit,
  readFsdd,
  type AugmentPad,
  type FsddRecording,
  type SpeechExample,
  type SpeechRecognizerConfig,
} from '../src/index';

const { values } = parseArgs({
  options: {
    protocol: { type: 'string', default: 'inner' },
    preset: { type: 'string', default: 'quick' },
    seeds: { type: 'string', default: '1,2,3' },
    variants: { type: 'string', default: 'off,on' },
    speakers: { type: 'string' },
  },
});
const PRESETS: Record<string, SpeechRecognizerConfig> = {
  quick: { cnn: { filters: [32, 48, 64], dense: 32 }, augment: { copies: 1, timeStretch: null }, frontEnds: [{}], ensemble: 1, epochs: 10 },
  default: {},
};
const chosen = PRESETS[values.preset as string];
if (!chosen)
  throw new AppliedMLError('E_INPUT_INVALID', `--preset must be quick or default (got ${String(values.preset)}).`, {
    details: { field: 'preset' },
  });
const preset: SpeechRecognizerConfig = chosen;
if (!['inner', 'official', 'loso'].includes(values.protocol as string))
  throw new AppliedMLError('E_INPUT_INVALID', `--protocol must be inner, official or loso (got ${String(values.protocol)}).`, {
    details: { field: 'protocol' },
  });
const seeds = (values.seeds as string).split(',').map(Number);
const variants = (values.variants as string).split(';').flatMap((v) => (v.startsWith('{') ? [v] : v.split(',')));
const padOf = (v: string): Partial<AugmentPad> | null => (v === 'off' ? null : v === 'on' ? {} : (JSON.parse(v) as Partial<AugmentPad>));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
type Row = Record<'plain' | 'silence' | 'noise', number>;
const CONDITIONS = ['plain', 'silence', 'noise'] as const;

/** One model per seed and variant trained on `train`, scored on `held` under the three conditions. */
async function runs(train: FsddRecording[], held: FsddRecording[], tag: Record<string, unknown>): Promise<Record<string, Row[]>> {
  const sets = conditions(held);
  const out: Record<string, Row[]> = {};
  for (const seed of seeds) {
    for (const v of variants) {
      const config: SpeechRecognizerConfig = {
        ...preset,
        seed,
        augment: { ...(typeof preset.augment === 'object' ? preset.augment : {}), pad: padOf(v) },
      };
      const model = SpeechRecognizer.create(config);
      const t0 = performance.now();
      await model.train(
        train.map((r) => ({ audio: r.path, label: r.label })),
        { progress: false },
      );
      const trainSeconds = (performance.now() - t0) / 1000;
      const row = { plain: 0, silence: 0, noise: 0 };
      for (const name of CONDITIONS) row[name] = (await model.evaluate(sets[name])).accuracy;
      model.dispose();
      process.stderr.write(`${JSON.stringify({ ...tag, preset: values.preset, seed, pad: v, ...row, trainSeconds })}\n`);
      (out[v] ??= []).push(row);
    }
  }
  return out;
}

/** Leave one speaker out: a row per held-out speaker and variant (mean over seeds), then the mean over speakers. */
async function loso(all: FsddRecording[]): Promise<void> {
  const speakers = values.speakers ? (values.speakers as string).split(',') : [...new Set(all.map((r) => r.speaker))];
  const bySpeaker: Record<string, Record<string, Row[]>> = {};
  for (const s of speakers) {
    const held = all.filter((r) => r.speaker === s);
    if (held.length === 0)
      throw new AppliedMLError('E_INPUT_INVALID', `--speakers: no FSDD recordings of ${s}.`, { details: { field: 'speakers' } });
    bySpeaker[s] = await runs(
      all.filter((r) => r.speaker !== s),
      held,
      { protocol: 'loso', heldOut: s },
    );
  }
  const cell = (rows: Row[], k: (typeof CONDITIONS)[number]): number => mean(rows.map((r) => r[k]));
  const lines: string[] = [];
  for (const v of variants) {
    for (const s of speakers) {
      const rows = bySpeaker[s]?.[v] ?? [];
      lines.push(
        `| ${s} | ${v} | ${CONDITIONS.map((k) => `${pct(cell(rows, k))}${seeds.length > 1 ? ` (${rows.map((r) => pct(r[k])).join(', ')})` : ''}`).join(' | ')} |`,
      );
    }
    lines.push(
      `| **mean** | ${v} | ${CONDITIONS.map((k) => `**${pct(mean(speakers.map((s) => cell(bySpeaker[s]?.[v] ?? [], k))))}**`).join(' | ')} |`,
    );
  }
  process.stdout.write(
    `\n${values.preset} preset, leave one speaker out (${speakers.join(', ')}); mean of seeds ${seeds.join(', ')}\n\n| held out | augment.pad | plain | 0.5 s silence around | 0.5 s -55 dBFS noise around |\n| --- | --- | --- | --- | --- |\n${lines.join('\n')}\n`,
  );
}

/** The held-out words plain, with 0.5 s of zeros on each side, and with 0.5 s of -55 dBFS white noise on each side. */
function conditions(held: FsddRecording[]): Record<'plain' | 'silence' | 'noise', SpeechExample[]> {
  const rng = createRng(20261201);
  const side = 4000;
  const sigma = 10 ** (-55 / 20);
  const gauss = (): number => Math.sqrt(-2 * Math.log(Math.max(1e-12, rng.next()))) * Math.cos(2 * Math.PI * rng.next());
  const silence: SpeechExample[] = [];
  const noise: SpeechExample[] = [];
  for (const r of held) {
    const w = decodeWav(readFileSync(r.path)).samples;
    const s = new Float32Array(w.length + 2 * side);
    s.set(w, side);
    silence.push({ audio: s, label: r.label, sampleRate: 8000 });
    const n = new Float32Array(w.length + 2 * side);
    for (let i = 0; i < n.length; i++) n[i] = sigma * gauss();
    n.set(w, side);
    noise.push({ audio: n, label: r.label, sampleRate: 8000 });
  }
  return { plain: held.map((r) => ({ audio: r.path, label: r.label })), silence, noise };
}

async function main(): Promise<void> {
  const all = await readFsdd();
  if (values.protocol === 'loso') return loso(all);
  const { train: outer, test } = fsddOfficialSplit(all);
  const inner = values.protocol === 'inner';
  const train = inner ? outer.filter((r) => r.index >= 10) : outer;
  const held = inner ? outer.filter((r) => r.index < 10) : test;
  const results = await runs(train, held, { protocol: values.protocol });
  const heldName = inner ? `recordings 5-9 of the training split (${held.length})` : `the official test split (${held.length})`;
  const col = (rows: Row[], k: (typeof CONDITIONS)[number]): string =>
    `${pct(median(rows.map((r) => r[k])))} (${rows.map((r) => pct(r[k])).join(', ')})`;
  process.stdout.write(
    `\n${values.preset} preset, trained on ${train.length}, scored on ${heldName}; median of seeds ${seeds.join(', ')}\n\n| augment.pad | plain | 0.5 s silence around | 0.5 s -55 dBFS noise around |\n| --- | --- | --- | --- |\n${Object.entries(
      results,
    )
      .map(([v, rows]) => `| ${v} | ${CONDITIONS.map((k) => col(rows, k)).join(' | ')} |`)
      .join('\n')}\n`,
  );
}

void main();
