// Runs inside the scratch consumer project with plain `node`: the packed @appliedml/medical-imaging,
// used the way its README shows, on seeded generated images (no dataset). It checks that
// - `import` resolves to the installed dist/index.mjs;
// - ImageClassifier trains (with a validation set), evaluates above an accuracy / AUC floor, predicts
//   with a Grad-CAM heatmap and renders it with heatmapOverlayPng (sharp's native binary loads);
// - save → ImageClassifier.load in a fresh temp dir gives the same probabilities;
// - readMedicalImage reads a PNG made by grayToPng and a 12-bit DICOM built here (explicit VR little
//   endian, rescale + window), keeping the stored values and no patient identifier;
// - readDicom / readMedicalImage read a JPEG baseline DICOM (1.2.840.10008.1.2.4.50, encapsulated) built
//   here from a grey JPEG that sharp encodes: the SDK decodes it with the WebAssembly libjpeg-turbo codec
//   of the installed @cornerstonejs/codec-libjpeg-turbo-8bit, within JPEG tolerance of the grey values;
// - bad bytes (not an image, a truncated PNG, a truncated DICOM) are typed AppliedMLErrors;
// - no tensor is left once both models are disposed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import sharp from 'sharp';
import {
  ImageClassifier,
  MEDICAL_IMAGING_VERSION,
  grayToPng,
  heatmapOverlayPng,
  readDicom,
  readMedicalImage,
} from '@appliedml/medical-imaging';

const fail = (message) => {
  process.stderr.write(`sdk-medical-imaging: ${message}\n`);
  process.exit(1);
};

const resolved = import.meta.resolve('@appliedml/medical-imaging');
if (!resolved.endsWith('/dist/index.mjs')) fail(`import resolved to ${resolved}, expected dist/index.mjs`);

const SIZE = 28;
const started = performance.now();

// Seeded images: a bright disc on noise ('blob') or noise only ('none'), alternating.
function generate(count, seed) {
  let state = seed >>> 0;
  const rand = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const images = [];
  const labels = [];
  const centres = [];
  for (let k = 0; k < count; k++) {
    const blob = k % 2 === 0;
    const cx = SIZE * (0.25 + 0.5 * rand());
    const cy = SIZE * (0.25 + 0.5 * rand());
    const radius = 3 + 3 * rand();
    const data = new Float32Array(SIZE * SIZE);
    for (let p = 0; p < data.length; p++) {
      const inside = blob && Math.hypot((p % SIZE) - cx, Math.floor(p / SIZE) - cy) < radius;
      data[p] = 0.1 + 0.3 * rand() + (inside ? 0.5 : 0);
    }
    images.push({ width: SIZE, height: SIZE, data });
    labels.push(blob ? 'blob' : 'none');
    centres.push(blob ? { cx, cy, radius } : undefined);
  }
  return { images, labels, centres };
}

const isPng = (bytes) => bytes.length > 24 && Buffer.from(bytes.subarray(0, 8)).equals(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'));
const pngSize = (bytes) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
};

// DICOM Part 10 building blocks (explicit VR little endian elements).
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const pad = (bytes, byte) => (bytes.length % 2 ? Buffer.concat([bytes, Buffer.from([byte])]) : bytes);
const text = (value) => pad(Buffer.from(value, 'latin1'), 0x20);
const uid = (value) => pad(Buffer.from(value, 'latin1'), 0);
const us = (value) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(value);
  return b;
};
const element = (group, elem, vr, value) => {
  const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(group, 0);
  header.writeUInt16LE(elem, 2);
  header.write(vr, 4, 'latin1');
  if (long) header.writeUInt32LE(value.length, 8);
  else header.writeUInt16LE(value.length, 6);
  return Buffer.concat([header, value]);
};
// Preamble, 'DICM', the file meta group (with its group length) for one transfer syntax.
const filePrefix = (sopClass, sopInstance, transferSyntax) => {
  const meta = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', uid(sopClass)),
    element(0x0002, 0x0003, 'UI', uid(sopInstance)),
    element(0x0002, 0x0010, 'UI', uid(transferSyntax)),
    element(0x0002, 0x0012, 'UI', uid('2.25.1')),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(meta.length);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(0x0002, 0x0000, 'UL', groupLength), meta]);
};
const toBytes = (buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

// The elements both files share: Secondary Capture identity, a patient that must not come back, and a
// one-sample MONOCHROME2 image of width × height.
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
const imageHead = (sopInstance, patientId, width, height) => [
  element(0x0008, 0x0016, 'UI', uid(SECONDARY_CAPTURE)),
  element(0x0008, 0x0018, 'UI', uid(sopInstance)),
  element(0x0008, 0x0060, 'CS', text('OT')),
  element(0x0010, 0x0010, 'PN', text('Synthetic^Patient')),
  element(0x0010, 0x0020, 'LO', text(patientId)),
  element(0x0028, 0x0002, 'US', us(1)),
  element(0x0028, 0x0004, 'CS', text('MONOCHROME2')),
  element(0x0028, 0x0010, 'US', us(height)),
  element(0x0028, 0x0011, 'US', us(width)),
];

// A DICOM Part 10 file, explicit VR little endian: 12 bits stored in 16, CT-like rescale, a window
// that maps the stored range 0..4095 back onto [0, 1], and a patient name that must not come back.
function dicomFile(image) {
  const stored = new Uint16Array(image.data.length);
  for (let i = 0; i < stored.length; i++) stored[i] = Math.round(Math.min(1, Math.max(0, image.data[i])) * 4095);
  const sopInstance = '2.25.311240139911385771214307361846530871';
  const pixels = Buffer.alloc(stored.length * 2);
  stored.forEach((v, i) => pixels.writeUInt16LE(v, 2 * i));
  const dataset = Buffer.concat([
    ...imageHead(sopInstance, 'SYNTH-0001', image.width, image.height),
    element(0x0028, 0x0030, 'DS', text('0.5\\0.5')),
    element(0x0028, 0x0100, 'US', us(16)),
    element(0x0028, 0x0101, 'US', us(12)),
    element(0x0028, 0x0102, 'US', us(11)),
    element(0x0028, 0x0103, 'US', us(0)),
    element(0x0028, 0x1050, 'DS', text('1024')),
    element(0x0028, 0x1051, 'DS', text('4096')),
    element(0x0028, 0x1052, 'DS', text('-1024')),
    element(0x0028, 0x1053, 'DS', text('1')),
    element(0x7fe0, 0x0010, 'OW', pixels),
  ]);
  return { bytes: toBytes(Buffer.concat([filePrefix(SECONDARY_CAPTURE, sopInstance, EXPLICIT_LE), dataset])), stored };
}

// A fixed 8-bit grey test card: a diagonal gradient with a brighter disc, smooth enough for JPEG.
const JPEG_SIZE = 32;
function greyCard() {
  const grey = new Uint8Array(JPEG_SIZE * JPEG_SIZE);
  for (let p = 0; p < grey.length; p++) {
    const x = p % JPEG_SIZE;
    const y = Math.floor(p / JPEG_SIZE);
    const disc = Math.hypot(x - 20, y - 12) < 7 ? 60 : 0;
    grey[p] = Math.round(30 + (140 * (x + y)) / (2 * (JPEG_SIZE - 1))) + disc;
  }
  return grey;
}

// The JPEG frame header (SOF marker, precision, size, components) of a JPEG stream.
function jpegFrame(jpeg) {
  for (let i = 2; i + 9 < jpeg.length;) {
    if (jpeg[i] !== 0xff) return undefined;
    const marker = jpeg[i + 1];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return {
        sof: marker - 0xc0,
        precision: jpeg[i + 4],
        height: (jpeg[i + 5] << 8) | jpeg[i + 6],
        width: (jpeg[i + 7] << 8) | jpeg[i + 8],
        components: jpeg[i + 9],
      };
    i += 2 + ((jpeg[i + 2] << 8) | jpeg[i + 3]);
  }
  return undefined;
}

// A DICOM Part 10 file, JPEG baseline: explicit VR little endian data set, the JPEG stream as the one
// fragment of encapsulated pixel data (undefined length, empty Basic Offset Table, sequence delimiter).
// The window 128 / 256 maps the stored 0..255 onto display values stored / 255.
function jpegDicomFile(jpeg, width, height) {
  const sopInstance = '2.25.311240139911385771214307361846530872';
  const item = (group, elem, value) => {
    const header = Buffer.alloc(8);
    header.writeUInt16LE(group, 0);
    header.writeUInt16LE(elem, 2);
    header.writeUInt32LE(value.length, 4);
    return Buffer.concat([header, value]);
  };
  const pixelHeader = Buffer.alloc(12);
  pixelHeader.writeUInt16LE(0x7fe0, 0);
  pixelHeader.writeUInt16LE(0x0010, 2);
  pixelHeader.write('OB', 4, 'latin1');
  pixelHeader.writeUInt32LE(0xffffffff, 8); // undefined length
  const dataset = Buffer.concat([
    ...imageHead(sopInstance, 'SYNTH-0002', width, height),
    element(0x0028, 0x0100, 'US', us(8)),
    element(0x0028, 0x0101, 'US', us(8)),
    element(0x0028, 0x0102, 'US', us(7)),
    element(0x0028, 0x0103, 'US', us(0)),
    element(0x0028, 0x1050, 'DS', text('128')),
    element(0x0028, 0x1051, 'DS', text('256')),
    pixelHeader,
    item(0xfffe, 0xe000, Buffer.alloc(0)), // Basic Offset Table, empty
    item(0xfffe, 0xe000, pad(Buffer.from(jpeg), 0)), // the one fragment, padded to even length
    item(0xfffe, 0xe0dd, Buffer.alloc(0)), // sequence delimiter
  ]);
  return toBytes(Buffer.concat([filePrefix(SECONDARY_CAPTURE, sopInstance, JPEG_BASELINE), dataset]));
}

// The code of the typed error `fn` must throw.
const typedCode = async (what, fn) => {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof AppliedMLError) || !AppliedMLError.isInstance(error))
      fail(`${what}: expected an AppliedMLError, got ${error?.stack ?? error}`);
    return error.code;
  }
  return fail(`${what}: no error`);
};

const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

try {
  const engine = await initEngine();
  const before = tf.memory().numTensors;

  const train = generate(160, 1);
  const validation = generate(48, 2);
  const test = generate(80, 3);

  // Train → evaluate.
  const trainStarted = performance.now();
  const model = ImageClassifier.create({ imageSize: SIZE, filters: [8, 16], seed: 7 });
  const report = await model.train(train, { epochs: 3, batchSize: 16, validation });
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  const losses = report.history.map((h) => h.loss);
  if (report.epochsRun < 1 || !losses.every(Number.isFinite)) fail(`training gave no finite losses: ${JSON.stringify(losses)}`);
  const threshold = model.threshold;
  if (!(threshold > 0 && threshold < 1)) fail(`the validation threshold is ${threshold}`);
  if (model.labels.join(',') !== 'blob,none') fail(`labels are ${model.labels.join(',')}, expected blob,none`);
  const metrics = await model.evaluate(test);
  if (metrics.count !== test.images.length) fail(`evaluate counted ${metrics.count} images, expected ${test.images.length}`);
  if (!(metrics.accuracy >= 0.85 && metrics.auc >= 0.9))
    fail(`held-out accuracy ${metrics.accuracy} / AUC ${metrics.auc} under the floor 0.85 / 0.9`);

  // PNG: grayToPng → readMedicalImage gives the image back (8-bit rounding).
  const probe = test.images[0]; // a 'blob' image
  const png = await grayToPng(probe);
  if (!isPng(png)) fail('grayToPng did not return a PNG');
  const fromPng = await readMedicalImage(png);
  if (fromPng.format !== 'png' || fromPng.image.width !== SIZE || fromPng.image.height !== SIZE)
    fail(`the PNG read back as ${fromPng.format} ${fromPng.image.width}×${fromPng.image.height}`);
  const pngError = maxDiff(fromPng.image.data, probe.data);
  if (!(pngError <= 0.6 / 255)) fail(`the PNG read back differs by ${pngError}`);

  // DICOM: the stored 12-bit values, the metadata, the display values through rescale and window.
  const dicom = dicomFile(probe);
  const raw = await readDicom(dicom.bytes);
  if (!(raw.frames[0] instanceof Uint16Array) || maxDiff(raw.frames[0], dicom.stored) !== 0)
    fail('readDicom did not return the stored 16-bit values');
  const fromDicom = await readMedicalImage(dicom.bytes);
  const md = fromDicom.dicom?.metadata;
  if (fromDicom.format !== 'dicom' || !md) fail(`the DICOM read as ${fromDicom.format}`);
  if (md.transferSyntaxUid !== EXPLICIT_LE || md.rows !== SIZE || md.columns !== SIZE || md.bitsStored !== 12)
    fail(`unexpected DICOM metadata ${JSON.stringify(md)}`);
  if (md.rescaleIntercept !== -1024 || md.windowCenter !== 1024 || md.windowWidth !== 4096 || md.modality !== 'OT')
    fail(`rescale / window / modality not read: ${JSON.stringify(md)}`);
  if (fromDicom.bitDepth !== 12) fail(`the DICOM bit depth is ${fromDicom.bitDepth}, expected 12`);
  const dicomError = maxDiff(
    fromDicom.image.data,
    Array.from(dicom.stored, (v) => v / 4095),
  );
  if (!(dicomError < 1e-5)) fail(`the DICOM display values differ from stored / 4095 by ${dicomError}`);
  if (/Synthetic|SYNTH-0001/.test(JSON.stringify([fromDicom.dicom, raw.metadata, raw.tags])))
    fail('a patient identifier came back from the DICOM reader');

  // JPEG baseline DICOM: sharp encodes the grey card (one component, 8 bits, SOF0), the SDK decodes it
  // through the wasm libjpeg-turbo codec of the installed package.
  const grey = greyCard();
  const jpeg = await sharp(Buffer.from(grey), { raw: { width: JPEG_SIZE, height: JPEG_SIZE, channels: 1 } })
    .toColourspace('b-w') // one component: sharp would otherwise write three
    .jpeg({ quality: 95 })
    .toBuffer();
  const frame = jpegFrame(jpeg);
  if (
    !frame ||
    frame.sof !== 0 ||
    frame.precision !== 8 ||
    frame.components !== 1 ||
    frame.width !== JPEG_SIZE ||
    frame.height !== JPEG_SIZE
  )
    fail(`sharp did not make a ${JPEG_SIZE}×${JPEG_SIZE} 8-bit grey baseline JPEG: ${JSON.stringify(frame)}`);
  const jpegDicom = jpegDicomFile(jpeg, JPEG_SIZE, JPEG_SIZE);
  const jpegStarted = performance.now();
  const rawJpeg = await readDicom(jpegDicom);
  const jpegDecodeSeconds = (performance.now() - jpegStarted) / 1000;
  const jmd = rawJpeg.metadata;
  if (jmd.transferSyntaxUid !== JPEG_BASELINE || jmd.rows !== JPEG_SIZE || jmd.columns !== JPEG_SIZE || jmd.bitsStored !== 8)
    fail(`unexpected JPEG DICOM metadata ${JSON.stringify(jmd)}`);
  if (rawJpeg.samplesPerPixel !== 1 || rawJpeg.photometric !== 'MONOCHROME2' || rawJpeg.frames.length !== 1)
    fail(`the JPEG DICOM decoded to ${rawJpeg.frames.length} frame(s) of ${rawJpeg.samplesPerPixel} ${rawJpeg.photometric}`);
  const jpegPixels = rawJpeg.frames[0];
  if (!(jpegPixels instanceof Uint8Array) || jpegPixels.length !== grey.length)
    fail(
      `readDicom returned ${jpegPixels?.constructor?.name} of ${jpegPixels?.length} for the JPEG frame, expected Uint8Array of ${grey.length}`,
    );
  let jpegAbsSum = 0;
  jpegPixels.forEach((v, i) => (jpegAbsSum += Math.abs(v - grey[i])));
  const jpegMeanAbsError = jpegAbsSum / grey.length;
  const jpegMaxAbsError = maxDiff(jpegPixels, grey);
  if (!(jpegMeanAbsError < 3)) fail(`the JPEG DICOM pixels differ from the grey card by ${jpegMeanAbsError} on average (of 255)`);
  // sharp's own libjpeg-turbo reading the same stream: the SDK's wasm decoder should agree.
  const sharpDecoded = await sharp(jpeg).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  if (sharpDecoded.info.channels !== 1) fail(`sharp decoded the JPEG to ${sharpDecoded.info.channels} channels`);
  const jpegVsSharpMaxDiff = maxDiff(jpegPixels, sharpDecoded.data);
  if (!(jpegVsSharpMaxDiff <= 1)) fail(`the SDK and sharp decode the same JPEG up to ${jpegVsSharpMaxDiff} apart`);
  const fromJpegDicom = await readMedicalImage(jpegDicom);
  const jmd2 = fromJpegDicom.dicom?.metadata;
  if (fromJpegDicom.format !== 'dicom' || jmd2?.transferSyntaxUid !== JPEG_BASELINE || fromJpegDicom.bitDepth !== 8)
    fail(`readMedicalImage read the JPEG DICOM as ${fromJpegDicom.format} ${jmd2?.transferSyntaxUid} ${fromJpegDicom.bitDepth}-bit`);
  if (fromJpegDicom.image.width !== JPEG_SIZE || fromJpegDicom.image.height !== JPEG_SIZE)
    fail(`readMedicalImage read the JPEG DICOM as ${fromJpegDicom.image.width}×${fromJpegDicom.image.height}`);
  const jpegDisplayError = maxDiff(
    fromJpegDicom.image.data,
    Array.from(jpegPixels, (v) => v / 255),
  );
  if (!(jpegDisplayError < 1e-6)) fail(`the JPEG DICOM display values differ from decoded / 255 by ${jpegDisplayError}`);
  if (/Synthetic|SYNTH-0002/.test(JSON.stringify([fromJpegDicom.dicom, rawJpeg.metadata, rawJpeg.tags])))
    fail('a patient identifier came back from the JPEG DICOM');

  // Predict with Grad-CAM on the DICOM image, render the overlay.
  const explained = await model.predict(fromDicom.image, { explain: true });
  if (explained.label !== 'blob') fail(`the DICOM blob image was predicted ${JSON.stringify(explained.probabilities)}`);
  const heatmap = explained.heatmap;
  if (!heatmap || heatmap.width !== SIZE || heatmap.height !== SIZE || heatmap.data.length !== SIZE * SIZE)
    fail(`no ${SIZE}×${SIZE} heatmap: ${heatmap && `${heatmap.width}×${heatmap.height}`}`);
  if (!heatmap.data.every((v) => v >= 0 && v <= 1)) fail('heatmap values outside [0, 1]');
  const overlay = Buffer.from(await heatmapOverlayPng(fromDicom.image, heatmap, { width: 112 }));
  if (!isPng(overlay) || pngSize(overlay).join('x') !== '112x112')
    fail(`heatmapOverlayPng gave ${overlay.length} bytes, not a 112×112 PNG`);
  const { cx, cy, radius } = test.centres[0];
  let inside = 0;
  let insideCount = 0;
  let outside = 0;
  heatmap.data.forEach((v, p) => {
    if (Math.hypot((p % SIZE) - cx, Math.floor(p / SIZE) - cy) < radius + 2) {
      inside += v;
      insideCount++;
    } else outside += v;
  });
  const heatInside = inside / insideCount;
  const heatOutside = outside / (SIZE * SIZE - insideCount);
  // Grad-CAM should point at the disc: seeds tried gave a ratio of 4.9 or more.
  if (!(heatInside > 2 * heatOutside)) fail(`the heatmap is not on the disc: ${heatInside} inside, ${heatOutside} outside`);

  // Save → load in a fresh temp dir: the same probabilities.
  const dir = await mkdtemp(join(tmpdir(), 'sdk-medical-imaging-'));
  let loadedMaxDiff;
  try {
    await model.save(join(dir, 'model'), { accuracy: metrics.accuracy, auc: metrics.auc });
    const loaded = await ImageClassifier.load(join(dir, 'model'));
    try {
      const a = await model.predictBatch(test.images);
      const b = await loaded.predictBatch(test.images);
      loadedMaxDiff = 0;
      for (let i = 0; i < a.length; i++) {
        if (a[i].label !== b[i].label) fail(`image ${i}: ${a[i].label} before save, ${b[i].label} after load`);
        for (const label of model.labels)
          loadedMaxDiff = Math.max(loadedMaxDiff, Math.abs(a[i].probabilities[label] - b[i].probabilities[label]));
      }
      if (!(loadedMaxDiff <= 1e-6)) fail(`the loaded model's probabilities differ by ${loadedMaxDiff}`);
      if (loaded.threshold !== threshold) fail(`threshold ${threshold} saved, ${loaded.threshold} loaded`);
    } finally {
      loaded.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  model.dispose();

  // Bad bytes are refused with typed errors.
  const errorCode = await typedCode('non-image bytes', () =>
    readMedicalImage(new TextEncoder().encode('{"this": "is neither an image nor DICOM"}')),
  );
  if (errorCode !== 'E_FORMAT_UNSUPPORTED') fail(`non-image bytes gave ${errorCode}, expected E_FORMAT_UNSUPPORTED`);
  const truncatedPng = await typedCode('a truncated PNG', () => readMedicalImage(png.subarray(0, Math.floor(png.length / 2))));
  const truncatedDicom = await typedCode('a truncated DICOM', () => readMedicalImage(dicom.bytes.subarray(0, dicom.bytes.length - 300)));
  if (truncatedPng !== 'E_INPUT_INVALID' || truncatedDicom !== 'E_INPUT_INVALID')
    fail(`truncated PNG gave ${truncatedPng}, truncated DICOM ${truncatedDicom}; expected E_INPUT_INVALID`);

  const leakedTensors = tf.memory().numTensors - before;
  if (leakedTensors !== 0) fail(`${leakedTensors} tensors left after dispose`);

  const round = (v) => Number(v.toFixed(4));
  process.stdout.write(
    `${JSON.stringify({
      check: 'sdk-medical-imaging',
      ok: true,
      resolved,
      version: MEDICAL_IMAGING_VERSION,
      device: engine.device,
      leakedTensors,
      errorCode,
      truncatedCodes: [truncatedPng, truncatedDicom],
      epochs: report.epochsRun,
      accuracy: round(metrics.accuracy),
      auc: round(metrics.auc),
      valAuc: round(report.validation.auc),
      threshold: round(threshold),
      heatInside: round(heatInside),
      heatOutside: round(heatOutside),
      overlayBytes: overlay.length,
      loadedMaxDiff,
      dicomTransferSyntax: md.transferSyntaxUid,
      dicomBytes: dicom.bytes.length,
      jpegTransferSyntax: jmd.transferSyntaxUid,
      jpegTransferSyntaxName: jmd.transferSyntaxName,
      jpegSize: `${jmd.columns}x${jmd.rows}`,
      jpegBytes: jpeg.length,
      jpegDicomBytes: jpegDicom.length,
      jpegMeanAbsError: round(jpegMeanAbsError),
      jpegMaxAbsError,
      jpegVsSharpMaxDiff,
      jpegDecodeSeconds: round(jpegDecodeSeconds),
      trainSeconds: round(trainSeconds),
      seconds: round((performance.now() - started) / 1000),
    })}\n`,
  );
} catch (error) {
  fail(`unexpected error: ${error?.stack ?? error}`);
}
