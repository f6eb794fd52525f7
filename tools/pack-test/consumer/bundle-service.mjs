// A tiny service for the bundling check (sdk-pack-test.mjs): imports the engine and one SDK, which the
// build step replaces `@appliedml/SDK` with, makes one small call, and prints one JSON line. It is
// bundled with the README's "Bundling a service" commands (esbuild, CommonJS and ES module) and run
// from the bundle's folder, where the README copies the wasm files.
import { AppliedMLError, initEngine } from '@appliedml/engine';
import * as sdk from '@appliedml/SDK';

const SDK = 'SDK';

// The typed error of `fn`: its code and message (an empty object when it does not throw).
async function errorOf(fn) {
  try {
    await fn();
  } catch (error) {
    if (!AppliedMLError.isInstance(error)) throw error;
    return { code: error.code, message: error.message };
  }
  return {};
}

/** One explicit-VR little-endian element. */
function element(group, elem, vr, value) {
  const long = ['OB', 'OW', 'UN', 'SQ'].includes(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(value.length, 8);
  else head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}
const us = (v) => Buffer.from([v & 0xff, v >> 8]);
const ui = (s) => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');

/** A 16x16 8-bit DICOM whose one encapsulated frame claims to be JPEG 2000 but is not a codestream. */
function jpeg2000Dicom() {
  const syntax = '1.2.840.10008.1.2.4.90';
  const metaBody = Buffer.concat([element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])), element(0x0002, 0x0010, 'UI', ui(syntax))]);
  const meta = Buffer.concat([
    element(0x0002, 0x0000, 'UL', Buffer.from([metaBody.length, 0, 0, 0].map((b, i) => (metaBody.length >> (8 * i)) & 0xff))),
    metaBody,
  ]);
  const item = (elem, value) => {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(0xfffe, 0);
    head.writeUInt16LE(elem, 2);
    head.writeUInt32LE(value.length, 4);
    return Buffer.concat([head, value]);
  };
  const pixelHead = Buffer.alloc(12);
  pixelHead.writeUInt16LE(0x7fe0, 0);
  pixelHead.writeUInt16LE(0x0010, 2);
  pixelHead.write('OB', 4, 'latin1');
  pixelHead.writeUInt32LE(0xffffffff, 8);
  const dataset = Buffer.concat([
    element(0x0028, 0x0002, 'US', us(1)),
    element(0x0028, 0x0004, 'CS', Buffer.from('MONOCHROME2 ', 'latin1')),
    element(0x0028, 0x0010, 'US', us(16)),
    element(0x0028, 0x0011, 'US', us(16)),
    element(0x0028, 0x0100, 'US', us(8)),
    element(0x0028, 0x0101, 'US', us(8)),
    element(0x0028, 0x0102, 'US', us(7)),
    element(0x0028, 0x0103, 'US', us(0)),
    pixelHead,
    item(0xe000, Buffer.alloc(0)),
    // SOC, a broken SIZ, EOC: it passes the reader's own checks and reaches the codec.
    item(0xe000, Buffer.from([0xff, 0x4f, 0xff, 0x51, 0, 0x2f, 1, 2, 3, 4, 0xff, 0xd9])),
    item(0xe0dd, Buffer.alloc(0)),
  ]);
  return new Uint8Array(Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), meta, dataset]));
}

/** The one small call each SDK makes. */
const CALLS = {
  async fraud() {
    const rows = Array.from({ length: 60 }, (_, i) => [Math.sin(i), Math.cos(i * 1.3), i % 7 === 0 ? 9 : (i % 5) / 5]);
    const model = sdk.FraudDetector.create({ detector: 'ecod' });
    await model.train(rows);
    const scores = model.scores([
      [0, 0, 0.2],
      [9, 9, 9],
    ]);
    model.dispose();
    return { ok: scores[1] > scores[0], scores: Array.from(scores) };
  },
  async text() {
    // natural's AFINN analyser: a module the SDK loads at run time.
    const sentiment = new sdk.SentimentScorer().score('I love it');
    const model = sdk.TextClassifier.create({ model: 'linear' });
    const examples = Array.from({ length: 24 }, (_, i) =>
      i % 2 ? { text: `the goal in the match ${i}`, label: 'sport' } : { text: `rain and wind tonight ${i}`, label: 'weather' },
    );
    await model.train(examples);
    const { label } = await model.predict('a late goal won the match');
    model.dispose();
    return { ok: sentiment.score > 0 && label === 'sport', sentiment: sentiment.score, label };
  },
  async speech() {
    const rate = 8000;
    const tone = Float32Array.from({ length: rate / 4 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate));
    const wav = sdk.decodeWav(sdk.encodeWav(tone, rate));
    const features = sdk.mfcc(wav.samples, { sampleRate: rate });
    return { ok: features.frames > 0 && features.dim > 0, frames: features.frames, dim: features.dim };
  },
  async traffic() {
    const times = Array.from({ length: 6 }, (_, i) => `2024-03-01T08:${String(i * 5).padStart(2, '0')}:00Z`);
    const spec = sdk.forecastChartSpec({ sensor: 's1', times, actual: [60, 58, 40, 35, 50, 61], forecast: [59, 57, 45, 38, 48, 60] });
    // vega and vega-lite render it: loaded at run time, external to a CommonJS bundle.
    const svg = await sdk.renderChartSvg(spec);
    return { ok: svg.startsWith('<svg') && svg.includes('<path'), svgChars: svg.length };
  },
  async 'medical-imaging'() {
    // The JPEG 2000 codec is loaded (at run time) and refuses the stream: E_INPUT_INVALID, 'cannot be decoded'.
    // A codec that cannot be loaded is E_FORMAT_UNSUPPORTED.
    const { code, message } = await errorOf(() => sdk.readDicom(jpeg2000Dicom()));
    return { ok: code === 'E_INPUT_INVALID' && /cannot be decoded|decodes to an empty image/.test(message), jpeg2000: code, message };
  },
};

// No top-level await: a CommonJS bundle cannot hold one.
initEngine({ device: 'auto' })
  .then(async (info) => ({ device: info.device, ...(await CALLS[SDK]()) }))
  .then(
    (result) => console.log(JSON.stringify({ check: `bundle-${SDK}`, ...result })),
    (error) => {
      console.log(JSON.stringify({ check: `bundle-${SDK}`, ok: false, error: String(error?.stack ?? error).slice(0, 600) }));
      process.exitCode = 1;
    },
  );
