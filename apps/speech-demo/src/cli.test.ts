// The recognize command on files it must not trust: a truncated WAV, a FIFO, a directory. Run as a
// user runs it (a child process), on a tiny saved model.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, webAppFolder, type CliRun } from '@appliedml/demo-kit';
import { quickRecognizer, spokenWav } from './test-model';
import { writeTrainedOn } from './trained-on';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
let dir = '';
let bundle = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'speech-demo-cli-'));
  bundle = join(dir, 'model');
  const model = await quickRecognizer();
  await model.save(bundle);
  model.dispose();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `speech-demo recognize FILE --bundle … [flags]`; killed after 60 s (status null). */
function recognize(file: string, ...flags: string[]): Promise<CliRun> {
  return runCli(cli, ['recognize', file, '--bundle', bundle, ...flags]);
}

describe('speech-demo recognize on awkward files', () => {
  it('names the file in WAV errors, refuses a FIFO and a directory at once, and prints fatal errors as errors', async () => {
    const wav = spokenWav('seven');
    const cut = join(dir, 'cut.wav');
    await writeFile(cut, wav.subarray(0, 2000)); // the data chunk's header says more than is there
    const fifo = join(dir, 'live.wav');
    if (process.platform !== 'win32') execFileSync('mkfifo', [fifo]);
    const folder = join(dir, 'folder.wav');
    await mkdir(folder);
    const [onCut, onSequence, onFifo, onFolder] = await Promise.all([
      recognize(cut),
      recognize(cut, '--sequence'),
      process.platform !== 'win32' ? recognize(fifo) : Promise.resolve(undefined),
      recognize(folder),
    ]);
    for (const run of [onCut, onSequence]) {
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`error E_INPUT_INVALID: ${cut}: the data chunk is truncated`);
      expect(run.stderr).not.toMatch(/WAV input|warning/);
    }
    if (onFifo) {
      expect(onFifo.status, 'a FIFO must not hang').toBe(1);
      expect(onFifo.stderr).toContain(`error E_IO: Cannot read audio file ${fifo}: it is a FIFO (named pipe), not a regular file.`);
    }
    expect(onFolder.status).toBe(1);
    expect(onFolder.stderr).toContain(`error E_IO: Cannot read audio file ${folder}: it is a directory, not a regular file.`);
  }, 120_000);

  it('still recognizes a good file given by its path', async () => {
    const good = join(dir, 'seven.wav');
    await writeFile(good, spokenWav('seven'));
    const run = await recognize(good);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\d+ {2}\d+ \d+\.\d+ %/);
    expect(run.stdout).not.toContain('seems to hold');
    // Two words with pauses: the one label, then the number of words and the way to read them.
    const { decodeWav, encodeWav } = await import('@appliedml/speech');
    const gap = new Float32Array(8000 * 0.4);
    const [one, five] = ['one', 'five'].map((w) => decodeWav(spokenWav(w), { targetSampleRate: 8000 }).samples);
    const two = join(dir, 'one-five.wav');
    await writeFile(two, encodeWav(Float32Array.from([...gap, ...one!, ...gap, ...five!, ...gap]), 8000));
    const joined = await recognize(two);
    expect(joined.status, joined.stderr).toBe(0);
    expect(joined.stdout).toMatch(
      /^\d+ {2}.*\nThis recording seems to hold 2 words separated by pauses, read here as one; recognize --sequence reads them \(\d{2}\)\.\n$/,
    );
  }, 120_000);
});

describe('speech-demo evaluate says what the model was trained on', () => {
  it('names the training data, warns when scored on other data, and without --data does not fall back from FSDD', async () => {
    // The tiny bundle as `train` leaves it after training on FSDD (the record beside it), and as saved otherwise.
    const fsddModel = join(dir, 'fsdd-model');
    await cp(bundle, fsddModel, { recursive: true });
    await writeTrainedOn(fsddModel, 'fsdd');
    // A record that is a FIFO: read as the engine reads a manifest, said unreadable at once (plain readFile hung for ever).
    const fifoModel = join(dir, 'fifo-record-model');
    await cp(bundle, fifoModel, { recursive: true });
    execFileSync('mkfifo', [join(fifoModel, 'speech-demo.json')]);
    const emptyData = join(dir, 'no-datasets');
    await mkdir(emptyData);
    const saved = process.env.APPLIEDML_DATA_DIR;
    process.env.APPLIEDML_DATA_DIR = emptyData; // runCli passes the environment as it is at the call
    let runs: CliRun[];
    try {
      runs = await Promise.all([
        runCli(cli, ['evaluate', '--bundle', fsddModel, '--data', 'synthetic']),
        runCli(cli, ['evaluate', '--bundle', fsddModel]),
        runCli(cli, ['evaluate', '--bundle', bundle, '--data', 'fsdd']), // FSDD is not there: said before that
        runCli(cli, ['evaluate', '--bundle', fifoModel, '--data', 'fsdd'], 60_000),
      ]);
    } finally {
      if (saved === undefined) delete process.env.APPLIEDML_DATA_DIR;
      else process.env.APPLIEDML_DATA_DIR = saved;
    }
    const [onSynthetic, noData, unrecorded, fifoRecord] = runs;
    // Scored on other data than it learned: said first (a synthetic model on FSDD scored 26.8 % without a word).
    expect(onSynthetic!.status, onSynthetic!.stderr).toBe(0);
    expect(onSynthetic!.stdout).toMatch(
      /^model: trained on FSDD \(Free Spoken Digit Dataset, real speakers\)\nwarning: the model was trained on FSDD .* and is scored on SYNTHETIC digits \(mespeak voices\): the accuracy below says how it carries over/,
    );
    expect(onSynthetic!.stdout).toMatch(/\nsynthetic \(mespeak\): accuracy \d/);
    // Without --data, an FSDD model is scored on FSDD or not at all (it fell back to synthetic digits: 90 %).
    expect(noData!.status).toBe(1);
    expect(noData!.stdout).toBe('model: trained on FSDD (Free Spoken Digit Dataset, real speakers)\n');
    expect(noData!.stderr).toMatch(
      /^error E_DATASET_MISSING: .*\(The model was trained on FSDD; --data synthetic scores it on synthetic digits instead\.\)\n$/s,
    );
    // A bundle saved otherwise: said unrecorded, no warning, and the data asked for is the one looked for.
    expect(unrecorded!.stdout).toBe(
      'model: what it was trained on is not recorded (no speech-demo.json beside the bundle; train writes it)\n',
    );
    expect(unrecorded!.stderr).toMatch(/^error E_DATASET_MISSING: /);
    expect(unrecorded!.stderr).not.toContain('The model was trained on');
    // The FIFO record: one line saying so, then on as without a record (not killed by the timeout: status 1, not null).
    expect(fifoRecord!.status, fifoRecord!.stderr).toBe(1);
    expect(fifoRecord!.stdout).toBe(
      'model: what it was trained on is not known (speech-demo.json beside the bundle is unreadable: it is a FIFO (named pipe), not a file)\n',
    );
    expect(fifoRecord!.stderr).toMatch(/^error E_DATASET_MISSING: /);
  }, 180_000);
});

describe('speech-demo with a command it does not have', () => {
  it("says unknown command 'x' as an error, with the usage, and fails (review R1-7: it printed the usage alone)", async () => {
    const run = await runCli(cli, ['recgonize', 'a.wav']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error E_INPUT_INVALID: Unknown command 'recgonize'.");
    expect(run.stderr).toContain('speech-demo');
    expect(run.stdout).toBe('');
  }, 60_000);
});

describe('speech-demo with arguments or flags its command does not read (review r2 F3)', () => {
  it('refuses a second file, an extra argument and another command’s flags, naming them, before any work', async () => {
    const good = join(dir, 'seven.wav');
    await writeFile(good, spokenWav('seven'));
    // A missing bundle where the old code would have gone on to load one: it failed fast there too.
    const missing = join(dir, 'no-such-model');
    const [twoFiles, extra, sequence, port, out, report] = await Promise.all([
      runCli(cli, ['recognize', good, 'other.wav', 'third.wav', '--bundle', bundle]),
      runCli(cli, ['evaluate', 'extra.wav', '--bundle', missing]),
      runCli(cli, ['evaluate', '--bundle', missing, '--sequence']),
      runCli(cli, ['recognize', good, '--bundle', bundle, '--port', '1']),
      runCli(cli, ['serve', '--bundle', missing, '--out', 'x']),
      runCli(cli, ['recognize', good, '--bundle', bundle, '--report', 'r.html']),
    ]);
    for (const run of [twoFiles, extra, sequence, port, out, report]) {
      expect(run.status, run.stdout + run.stderr).toBe(1);
      expect(run.stdout).toBe('');
    }
    expect(twoFiles.stderr).toContain("error E_INPUT_INVALID: 'recognize' takes one file; also got 'other.wav' and 'third.wav'.");
    expect(extra.stderr).toContain("error E_INPUT_INVALID: 'evaluate' takes no further arguments; got 'extra.wav'.");
    expect(sequence.stderr).toContain('error E_INPUT_INVALID: --sequence applies to recognize only: evaluate does not read it.');
    expect(port.stderr).toContain('error E_INPUT_INVALID: --port applies to serve only: recognize does not read it.');
    expect(out.stderr).toContain('error E_INPUT_INVALID: --out applies to train only: serve does not read it.');
    expect(report.stderr).toContain('error E_INPUT_INVALID: --report applies to demo only: recognize does not read it.');
  }, 120_000);
});

// 547f61a: the save refuses a web app's folder (its manifest.json is not a bundle's), but `train` found
// that out only at the save, after reading the recordings and training the whole model.
describe('speech-demo train --out', () => {
  it("refuses a web app's folder before it reads the recordings or trains", async () => {
    const app = await webAppFolder(dir);
    const r = await runCli(cli, ['train', '--data', 'synthetic', '--out', app.dir]);
    expect([r.status, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(
      /^error E_INPUT_INVALID: --out .*\/app: Refusing to save over .*\/app: it is not empty and its manifest\.json is not an appliedml model bundle manifest \(it holds .*\)\. .* Nothing was trained\.$/m,
    );
    expect(await app.untouched()).toBe(true);
  }, 60_000);
});
