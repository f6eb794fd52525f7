// The predict command on files it must not trust: FIFOs, truncated images, --frame on a PNG and
// images unlike the training data. Run as a user runs it (a child process), on a tiny saved model.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '@appliedml/demo-kit';
import { resolveDataset } from '@appliedml/engine';
import { DICOM_SAMPLES_DATASET, grayToPng } from '@appliedml/medical-imaging';
import { gray16Png, grayTiff, phantomPng, quickClassifier } from './test-model';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
let dir = '';
let bundle = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medical-demo-cli-'));
  bundle = join(dir, 'model');
  const model = await quickClassifier();
  await model.save(bundle);
  model.dispose();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `medical-imaging-demo predict FILE --bundle … [flags]`; killed after 60 s (status null). */
function predict(file: string, ...flags: string[]): Promise<CliRun> {
  return runCli(cli, ['predict', file, '--bundle', bundle, ...flags]);
}

describe('medical-imaging-demo predict on awkward files', () => {
  it('refuses a FIFO, names a truncated file, refuses --frame on a PNG and prints fatal errors as errors', async () => {
    const fifo = join(dir, 'scan.png');
    if (process.platform !== 'win32') execFileSync('mkfifo', [fifo]);
    const png = await phantomPng(true, 64);
    const cut = join(dir, 'cut.png');
    await writeFile(cut, png.subarray(0, png.length - 30));
    const good = join(dir, 'good.png');
    await writeFile(good, png);
    const [onFifo, onCut, onFrame] = await Promise.all([
      process.platform !== 'win32' ? predict(fifo) : Promise.resolve(undefined),
      predict(cut),
      predict(good, '--frame', '2'),
    ]);
    if (onFifo) {
      expect(onFifo.status, 'a FIFO must not hang').toBe(1);
      expect(onFifo.stderr).toMatch(/^error E_IO: Cannot read .*scan\.png: it is a FIFO \(named pipe\), not a regular file\./m);
    }
    expect(onCut.status).toBe(1);
    expect(onCut.stderr).toMatch(new RegExp(`^error E_INPUT_INVALID: ${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `, 'm'));
    expect(onCut.stderr).not.toMatch(/warning/);
    expect(onFrame.status).toBe(1);
    expect(onFrame.stderr).toMatch(
      /^error E_INPUT_INVALID: .*good\.png: --frame applies to DICOM files and multi-page TIFFs; this is a png image/m,
    );
  }, 120_000);

  it('says a --frame past the last as the service does: how many frames, how they are numbered, how to pick one', async () => {
    // It printed the reader's words, "Frame 10 does not exist (the image has 10).", while the service said
    // the count and the numbering from the same error's details.
    const root = (await resolveDataset(DICOM_SAMPLES_DATASET)).root;
    const mri = join(root, 'emri_small.dcm');
    const single = join(root, 'MR_small.dcm');
    const [past, pastOne] = await Promise.all([predict(mri, '--frame', '10'), predict(single, '--frame', '1')]);
    expect([past.status, past.stdout]).toEqual([1, '']);
    expect(past.stderr).toBe(
      `error E_INPUT_INVALID: ${mri}: --frame 10 is out of range: this DICOM file has 10 frames, numbered 0 to 9; --frame N picks one of them (0 when left out).\n`,
    );
    expect([pastOne.status, pastOne.stdout]).toEqual([1, '']);
    expect(pastOne.stderr).toBe(
      `error E_INPUT_INVALID: ${single}: --frame 1 is out of range: this DICOM file has 1 frame, numbered 0; leave --frame out.\n`,
    );
  }, 120_000);

  // ff18757: a multi-page TIFF's pages are read by `frame`. The CLI refused --frame on any file but a
  // DICOM one after the read ("--frame applies to DICOM files"), and a page past the last was said to be
  // a DICOM file's frame.
  it('reads a page of a TIFF stack with --frame and names a page past the last as a TIFF page', async () => {
    const page = (k: number) => ({
      width: 32,
      height: 32,
      samples: Uint8Array.from({ length: 32 * 32 }, (_, i) => ((i * 7 + k * 90) % 200) + 20),
    });
    const stack = join(dir, 'stack.tif');
    await writeFile(stack, grayTiff(page(0), page(1), page(2)));
    const [first, second, past] = await Promise.all([predict(stack), predict(stack, '--frame', '1'), predict(stack, '--frame', '3')]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^tiff 32×32, 8-bit \(page 0 of 3, numbered from 0: --frame N picks another\)$/m);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^tiff 32×32, 8-bit \(page 1 of 3, /m);
    expect([past.status, past.stdout]).toEqual([1, '']);
    expect(past.stderr).toBe(
      `error E_INPUT_INVALID: ${stack}: --frame 3 is out of range: this TIFF file has 3 pages, numbered 0 to 2; --frame N picks one of them (0 when left out).\n`,
    );
  }, 120_000);

  // A signed TIFF maps from its type's minimum (0 is mid-grey) and a 32-bit one over 0..2^32-1: a 12-bit
  // scan stored so read flat grey (no warning at all) or nearly black (with no word of --voi minmax).
  it('says --voi minmax stretches a signed 16-bit and a 32-bit TIFF of 12-bit values', async () => {
    const n = 64 * 64;
    const signed = join(dir, 'ct-signed.tif');
    await writeFile(signed, grayTiff({ width: 64, height: 64, samples: Int16Array.from({ length: n }, (_, i) => (i % 2000) - 1000) }));
    const wide = join(dir, 'xray-32bit.tif');
    await writeFile(wide, grayTiff({ width: 64, height: 64, samples: Uint32Array.from({ length: n }, (_, i) => i & 0xfff) }));
    const [onSigned, onWide, stretched] = await Promise.all([predict(signed), predict(wide), predict(signed, '--voi', 'minmax')]);
    expect(onSigned.status, onSigned.stderr).toBe(0);
    expect(onSigned.stderr).toMatch(
      /warning: .*ct-signed\.tif: its values span 3\.1 % of the signed 16-bit range, which reads as nearly flat grey: --voi minmax stretches it\./,
    );
    expect(onWide.status, onWide.stderr).toBe(0);
    expect(onWide.stderr).toMatch(
      /warning: .*xray-32bit\.tif: its brightest pixel is at 0\.0 % of full scale: the image is nearly black; an image whose values use little of their 32-bit range reads so: --voi minmax stretches it\./,
    );
    expect(stretched.status, stretched.stderr).toBe(0);
    expect(stretched.stderr).not.toMatch(/warning/);
  }, 120_000);

  it('predicts on a 1×1 and on a constant image but warns on stderr that they are outside the training data', async () => {
    const tiny = join(dir, 'tiny.png');
    await writeFile(tiny, await grayToPng({ width: 1, height: 1, data: Float32Array.of(0.5) }));
    const flat = join(dir, 'flat.png');
    await writeFile(flat, await grayToPng({ width: 64, height: 64, data: new Float32Array(64 * 64) }));
    const good = join(dir, 'fine.png');
    await writeFile(good, await phantomPng(false, 64));
    const [onTiny, onFlat, onGood] = await Promise.all([predict(tiny), predict(flat), predict(good)]);
    for (const run of [onTiny, onFlat]) {
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^(clear|lesion) \(/m);
      expect(run.stderr).toMatch(/warning: .*outside what the model was trained on/);
    }
    expect(onTiny.stderr).toMatch(/tiny\.png: it is 1×1 pixels, smaller than 16 on a side/);
    // A 12-bit X-ray in a 16-bit PNG reads near black without --voi minmax: it was predicted on with no word.
    const deep = join(dir, 'xray-12bit.png');
    await writeFile(
      deep,
      gray16Png(64, 64, (x, y) => (x * 64 + y) & 0xfff),
    );
    const [onDeep, onStretched] = await Promise.all([predict(deep), predict(deep, '--voi', 'minmax')]);
    expect(onDeep.status, onDeep.stderr).toBe(0);
    expect(onDeep.stdout).toMatch(/^png 64×64, 16-bit$/m);
    expect(onDeep.stderr).toMatch(
      /warning: .*xray-12bit\.png: its brightest pixel is at 6\.2 % of full scale: the image is nearly black; a 12-bit image stored in 16 bits reads so: --voi minmax stretches it\./,
    );
    expect(onStretched.status, onStretched.stderr).toBe(0);
    // A multi-frame DICOM: which frame the label is for (it said '(10 frame(s))', frame 0 unnamed).
    const mri = join((await resolveDataset(DICOM_SAMPLES_DATASET)).root, 'emri_small.dcm');
    const [first, fourth] = await Promise.all([predict(mri), predict(mri, '--frame', '3')]);
    expect(first.stdout).toMatch(/^dicom 64×64, 12-bit, MR \(frame 0 of 10, numbered from 0: --frame N picks another\)$/m);
    expect(fourth.stdout).toMatch(/^dicom 64×64, 12-bit, MR \(frame 3 of 10, /m);
    expect(onStretched.stderr).not.toMatch(/nearly black/);
    expect(onFlat.stderr).toMatch(/flat\.png: every pixel has the same value/);
    expect(onGood.status, onGood.stderr).toBe(0);
    expect(onGood.stderr).not.toMatch(/outside what the model was trained on/);
    // The label is the saved threshold's, which the line names (review R5-12: 'clear (46.1 %)' beside 'lesion 53.9 %').
    expect(onGood.stdout).toMatch(
      /^(clear|lesion) \(\d+\.\d %\) {2}clear \d+\.\d % {2}lesion \d+\.\d % {2}\(lesion from \d+\.\d %, the threshold chosen on the validation images\)$/m,
    );
    // Beside the answer, what the model was trained on (its bundle's trainedOn): the label of a
    // phantom-trained model was printed with no word that it says nothing medical.
    expect(onGood.stdout).toMatch(
      /^model: trained on SYNTHETIC phantoms \(the demo's generated chest phantoms, clear vs lesion\), 160 training images: generated images, its answers say nothing medical$/m,
    );
  }, 120_000);

  it('warns on stderr that a colour photo is outside the training data, as the service does; a tinted gray image is gray', async () => {
    // It predicted on a colour photo (an endoscopy frame) without a word; the service refuses to classify one.
    const rgb = (colour: boolean) => {
      const data = Buffer.alloc(64 * 64 * 3);
      for (let p = 0; p < 64 * 64; p++) {
        const x = p % 64;
        // Tissue colours that vary across the image, or a gray gradient under a warm cast (1, .97, .92).
        data.set(
          colour ? [150 + x, 60 + 2 * x, 70] : [60 + 3 * x, Math.round((60 + 3 * x) * 0.97), Math.round((60 + 3 * x) * 0.92)],
          3 * p,
        );
      }
      return sharp(data, { raw: { width: 64, height: 64, channels: 3 } })
        .jpeg({ quality: 90 })
        .toBuffer();
    };
    const photo = join(dir, 'photo.jpg');
    await writeFile(photo, await rgb(true));
    const cast = join(dir, 'warm-cast.jpg');
    await writeFile(cast, await rgb(false));
    const [onPhoto, onCast] = await Promise.all([predict(photo), predict(cast)]);
    expect(onPhoto.status, onPhoto.stderr).toBe(0);
    expect(onPhoto.stdout).toMatch(/^(clear|lesion) \(/m);
    expect(onPhoto.stderr).toMatch(
      /^\[medical-imaging-demo\] warning: .*photo\.jpg: it is a colour image \(a photo, such as an endoscopy frame\), and the classifier was trained on grayscale images\. This is outside what the model was trained on: the prediction below is not meaningful\.$/m,
    );
    expect(onPhoto.stderr.trim().split('\n')).toHaveLength(1);
    expect(onCast.status, onCast.stderr).toBe(0);
    expect(onCast.stderr).not.toMatch(/colour|outside what the model was trained on/);
  }, 120_000);
});

// Found by W4: `evaluate` on a phantom-trained model uses the phantoms even when APPLIEDML_DATA_DIR has
// PneumoniaMNIST, and their note blamed the folder ("APPLIEDML_DATA_DIR has no PneumoniaMNIST"); it was
// not printed either, so the numbers came with no word that they say nothing medical.
describe('medical-imaging-demo evaluate on a phantom-trained model', () => {
  it('says why the phantoms were used, whatever APPLIEDML_DATA_DIR holds', async () => {
    const before = process.env.APPLIEDML_DATA_DIR;
    process.env.APPLIEDML_DATA_DIR = dir; // a folder that exists (the note named its contents as the reason)
    let run: CliRun;
    try {
      run = await runCli(cli, ['evaluate', '--bundle', bundle]);
    } finally {
      if (before === undefined) delete process.env.APPLIEDML_DATA_DIR;
      else process.env.APPLIEDML_DATA_DIR = before;
    }
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^SYNTHETIC chest phantoms .*: ACC /m);
    expect(run.stdout).toMatch(
      /^ {2}generated offline \(the model was trained on the phantoms, not PneumoniaMNIST\); says nothing about medical performance\.$/m,
    );
    expect(run.stdout).not.toMatch(/has no PneumoniaMNIST/);
  }, 120_000);
});

// Found in session 24: `train --out FILE` trained the whole run (a minute on the quick preset, far
// longer on the full one) and only then refused to save over the file; `demo --report DIR` trained
// both models before failing to write. The targets are checked first now, and nothing is trained.
describe('medical-imaging-demo train and demo with an output they cannot write', () => {
  it('refuses a file as --out, a foreign folder as --out and a folder as --report before training', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a bundle');
    const foreign = join(dir, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'notes.txt'), 'mine');
    const before = process.env.APPLIEDML_DATA_DIR;
    delete process.env.APPLIEDML_DATA_DIR; // the phantoms: training would start at once
    let runs: CliRun[];
    try {
      runs = await Promise.all([
        runCli(cli, ['train', '--task', 'classifier', '--out', file]),
        runCli(cli, ['train', '--task', 'segmenter', '--out', foreign]),
        runCli(cli, ['train', '--task', 'segmenter', '--out', join(file, 'model')]),
        runCli(cli, ['demo', '--report', dir]),
      ]);
    } finally {
      if (before !== undefined) process.env.APPLIEDML_DATA_DIR = before;
    }
    const [onFile, onForeign, under, onReport] = runs;
    for (const run of runs) {
      expect(run.status, run.stdout + run.stderr).toBe(1);
      expect(run.stdout).not.toMatch(/epoch 1/);
    }
    expect(onFile!.stderr).toMatch(
      /^error E_INPUT_INVALID: --out .*a-file is a file, not a folder for the bundle; nothing was trained\.$/m,
    );
    expect(onForeign!.stderr).toMatch(
      /^error E_INPUT_INVALID: --out .*foreign is not empty and holds no earlier bundle \(manifest\.json\)/m,
    );
    expect(under!.stderr).toMatch(
      /^error E_INPUT_INVALID: --out .*a-file[/\\]model: .*a-file is a file, not a folder; nothing was trained\.$/m,
    );
    expect(onReport!.stderr).toMatch(/^error E_INPUT_INVALID: --report .* is a folder, not a file name; nothing was trained\.$/m);
    expect(await readFile(file, 'utf8')).toBe('not a bundle');
  }, 120_000);

  // 547f61a: the save reads the folder's manifest.json, while the early check only looked for the name,
  // so a web app's folder (manifest.json beside index.html) trained the whole run and was refused at save.
  it("refuses a web app's folder as --out before training", async () => {
    const app = join(dir, 'web-app');
    await mkdir(app);
    await writeFile(join(app, 'manifest.json'), '{"name":"My app","start_url":"/"}');
    await writeFile(join(app, 'index.html'), '<p>app</p>');
    const before = process.env.APPLIEDML_DATA_DIR;
    delete process.env.APPLIEDML_DATA_DIR; // the phantoms: training would start at once
    let run: CliRun;
    try {
      run = await runCli(cli, ['train', '--task', 'classifier', '--out', app], 110_000);
    } finally {
      if (before !== undefined) process.env.APPLIEDML_DATA_DIR = before;
    }
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).not.toMatch(/epoch 1/);
    expect(run.stderr).toMatch(/^error E_INPUT_INVALID: --out .*web-app: Refusing to save over .*web-app: .*Nothing was trained\.$/m);
    expect(await readFile(join(app, 'index.html'), 'utf8')).toBe('<p>app</p>');
  }, 120_000);

  // Review R5-8: `train --out .` typed in a folder holding an earlier bundle passed the early check (a
  // manifest.json is there), trained every epoch, then the save refused: 'it holds the working directory'.
  it('refuses --out . (the working directory) before training, even where an earlier bundle is', async () => {
    const env = { ...process.env };
    delete env.APPLIEDML_DATA_DIR; // the phantoms: training would start at once
    // Run from the bundle's folder: tsx by its path (the folder has no node_modules to find it in).
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const argv = ['--import', tsx, '--conditions=@appliedml/source', cli, 'train', '--task', 'classifier', '--out', '.'];
    const run = await promisify(execFile)(process.execPath, argv, { cwd: bundle, env, encoding: 'utf8', timeout: 120_000 }).then(
      (r) => ({ status: 0, ...r }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ status: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
    );
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).not.toMatch(/epoch 1/);
    expect(run.stderr).toMatch(
      /^error E_INPUT_INVALID: --out \. holds the working directory, and a save replaces its folder whole: save into a subdirectory \(e\.g\. --out model\)\. Nothing was trained\.$/m,
    );
  }, 120_000);
});
