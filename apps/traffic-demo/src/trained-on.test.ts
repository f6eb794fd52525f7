// Found in session 30: a bundle trained on Los-loop, then forecast / evaluate / serve without APPLIEDML_DATA_DIR,
// read the generated network (--data auto) without a word and failed with "trained on sensor(s) '773869', …
// that the data does not have (its sensors: 'S000', …)"; a model trained on generated data was run on Los-loop
// when the data set was there. train now records its data beside the bundle, and --data auto reads that.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppliedMLError, type Logger } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModelData, readTrainedOn, TRAINED_ON_FILE, type TrainedOn } from './data';
import { runCli, scratchFolder } from './test-helpers';

const scratch = scratchFolder('traffic-trained-on-');
const LOS_IDS = ['773869', '767541', '767542', '717447'];
/** No data folder and an empty cache: Los-loop is nowhere. */
const noData = (): NodeJS.ProcessEnv => ({ APPLIEDML_DATA_DIR: '', APPLIEDML_CACHE_DIR: scratch.file('cache') });

beforeAll(() => {
  // A stand-in for Los-loop: four of its sensor ids, 400 five-minute steps, a chain for a road graph.
  const losDir = scratch.file('data/los-loop');
  mkdirSync(losDir, { recursive: true });
  const rows = [LOS_IDS.join(',')];
  for (let t = 0; t < 400; t++) rows.push(LOS_IDS.map((_, k) => (55 + 6 * Math.sin(t / 11 + k)).toFixed(2)).join(','));
  writeFileSync(join(losDir, 'los_speed.csv'), `${rows.join('\n')}\n`);
  writeFileSync(join(losDir, 'los_adj.csv'), '1,1,0,0\n1,1,1,0\n0,1,1,1\n0,0,1,1\n');
  mkdirSync(scratch.file('cache'));
});

/** A folder standing for a bundle, holding only the record `train` writes beside it. */
function recordFolder(name: string, record: TrainedOn): string {
  const dir = scratch.file(name);
  mkdirSync(dir);
  writeFileSync(join(dir, TRAINED_ON_FILE), JSON.stringify(record));
  return dir;
}

describe('--data auto reads the data a bundle was trained on', () => {
  it('a Los-loop model without Los-loop: E_DATASET_MISSING naming Los-loop and APPLIEDML_DATA_DIR, not a sensor mismatch', async () => {
    const dir = recordFolder('los', { data: 'los-loop' });
    const error = await loadModelData('auto', dir, LOS_IDS, noData()).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(error, 'E_DATASET_MISSING')).toBe(true);
    expect((error as Error).message).toMatch(
      /^The model was trained on Los-loop \(as .*traffic-demo\.json records\), and Los-loop is not in APPLIEDML_DATA_DIR \(not set\).*Set APPLIEDML_DATA_DIR to a folder holding los-loop\//,
    );
    // With the data set there, it is read.
    const d = await loadModelData('auto', dir, LOS_IDS, { ...noData(), APPLIEDML_DATA_DIR: scratch.file('data') });
    expect(d.name).toBe('los-loop');
    expect(d.series.sensors).toEqual(LOS_IDS);
  });

  it('a model trained on generated data reads the generated network, also when Los-loop is there', async () => {
    const dir = recordFolder('syn', { data: 'synthetic' });
    const d = await loadModelData('auto', dir, ['S000', 'S001', 'S002'], { ...noData(), APPLIEDML_DATA_DIR: scratch.file('data') });
    expect(d.name).toBe('synthetic');
    expect(d.series.sensors).toEqual(['S000', 'S001', 'S002']);
    expect(d.note).toMatch(/^SYNTHETIC data: .* The model was trained on this generated network/);
    expect(d.note).not.toMatch(/Set APPLIEDML_DATA_DIR/);
    // An explicit --data is read as given (and a mismatch says which data that was).
    const error = await loadModelData('los-loop', dir, ['S000'], { ...noData(), APPLIEDML_DATA_DIR: scratch.file('data') }).catch(
      (e: unknown) => e,
    );
    expect(AppliedMLError.hasCode(error, 'E_SHAPE_MISMATCH')).toBe(true);
    expect((error as Error).message).toMatch(/The data is Los-loop \(--data los-loop\)\. Give the data the model was trained on: /);
  });

  it("a model trained on your file: --data auto gives the file and train's reading flags to pass", async () => {
    const dir = recordFolder('own', {
      data: 'file',
      path: '/data/my speeds.csv',
      flags: ['--timestamp-column', 'time', '--delimiter', ';'],
    });
    const error = await loadModelData('auto', dir, ['A'], noData()).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(error, 'E_INPUT_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(
      /^The model was trained on your own file \/data\/my speeds\.csv .*--data '\/data\/my speeds\.csv' --timestamp-column time --delimiter ';'$/,
    );
  });

  // RF2 (session 30): a record that is a FIFO hung forecast --bundle for ever (plain readFile), and a record's
  // path and flags were printed as they were: ESC sequences and newlines reached the terminal.
  it('a FIFO, a link or a huge file as the record: unreadable at once, said in one warning, read as without it', async () => {
    const fifo = scratch.file('fifo-record');
    mkdirSync(fifo);
    execFileSync('mkfifo', [join(fifo, TRAINED_ON_FILE)]);
    expect(await readTrainedOn(fifo)).toEqual({ unreadable: 'it is a FIFO (named pipe), not a file' });
    const zero = scratch.file('zero-record');
    mkdirSync(zero);
    symlinkSync('/dev/zero', join(zero, TRAINED_ON_FILE));
    expect(await readTrainedOn(zero)).toEqual({ unreadable: 'it is a symbolic link, not a file' });
    const big = scratch.file('big-record');
    mkdirSync(big);
    writeFileSync(join(big, TRAINED_ON_FILE), JSON.stringify({ data: 'synthetic', pad: 'x'.repeat(70_000) }));
    expect(await readTrainedOn(big)).toEqual({ unreadable: 'it holds more than 64 KiB' });
    expect(await readTrainedOn(recordFolder('odd', { data: 'mnist' } as unknown as TrainedOn))).toEqual({
      unreadable: 'it is not a record train writes',
    });
    // forecast's data: one warning naming the record, then --data auto as for a bundle without one.
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (message) => warnings.push(message) };
    const d = await loadModelData('auto', fifo, ['S000', 'S001'], noData(), {}, logger);
    expect(d.name).toBe('synthetic');
    expect(warnings).toEqual([
      `${join(fifo, TRAINED_ON_FILE)} is unreadable (it is a FIFO (named pipe), not a file): --data auto reads as for a bundle without it.`,
    ]);
  }, 10_000);

  it("a record's path and flags are shown with control characters escaped", async () => {
    const dir = recordFolder('hostile', {
      data: 'file',
      path: '/data/x\u001b]0;pwned\u0007\nerror: forged.csv',
      flags: ['--delimiter', '\u001b[2J'],
    });
    const error = await loadModelData('auto', dir, ['A'], noData()).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(error, 'E_INPUT_INVALID')).toBe(true);
    const message = (error as Error).message;
    expect(message).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(message).toContain('your own file /data/x\\u001b]0;pwned\\u0007\\nerror: forged.csv (as ');
    expect(message).toContain("--delimiter '\\u001b[2J'");
  });

  it('a bundle without the record: the mismatch says the generated network was picked, and why, and how to choose', async () => {
    const error = await loadModelData('auto', scratch.file('no-record'), LOS_IDS, noData()).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(error, 'E_SHAPE_MISMATCH')).toBe(true);
    expect((error as Error).message).toMatch(
      /that the data does not have \(its sensors: 'S000', .*\)\. The data is SYNTHETIC generated data \(--data auto picks it when Los-loop is not in APPLIEDML_DATA_DIR, and APPLIEDML_DATA_DIR is not set\)\. Give the data the model was trained on: Los-loop \(set APPLIEDML_DATA_DIR to a folder holding los-loop\/, or --data los-loop\), the generated network \(--data synthetic\) or your own file \(--data FILE\.csv/,
    );
  });

  it('train records the data beside the bundle; forecast without the data set then says Los-loop is missing', () => {
    const bundle = scratch.file('bundle-los');
    const trained = runCli(['train', '--model', 'last-value', '--out', bundle], { env: { APPLIEDML_DATA_DIR: scratch.file('data') } });
    expect(trained.stderr).toBe('');
    expect(trained.status).toBe(0);
    expect(JSON.parse(readFileSync(join(bundle, TRAINED_ON_FILE), 'utf8'))).toEqual({ data: 'los-loop' });
    const r = runCli(['forecast', '--bundle', bundle], { env: noData() });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error E_DATASET_MISSING: The model was trained on Los-loop .*Set APPLIEDML_DATA_DIR/);
  }, 180_000);
});
