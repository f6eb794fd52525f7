import {
  bundleName,
  createConcurrencyLimit,
  createService,
  openInferencePool,
  errorResponses,
  loadingModel,
  type DemoServiceOptions,
  type Service,
} from '@appliedml/demo-kit';
import { AppliedMLError } from '@appliedml/engine';
import { SPEECH_PACKAGE, SPEECH_VERSION, type SequenceRecognition, type SpeechRecognizer } from '@appliedml/speech';
import { MAX_AUDIO_SECONDS, recognizeSequenceUpload, recognizeUpload, warmUp, type RecognizeAnswer, type SpeechTask } from './recognition';

export { MAX_AUDIO_SECONDS, recognizeSequenceUpload, recognizeUpload, runTask, warmUp, warmUpWav } from './recognition';
export type { RecognizeAnswer, SpeechTask } from './recognition';

/** The SDK serving the model, as `GET /info` says it. */
export const SDK = `${SPEECH_PACKAGE} ${SPEECH_VERSION}`;

/** Largest upload accepted: about a minute of 16-bit 44.1 kHz stereo. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Content types `POST /recognize` and `POST /sequence` read as the WAV file; any other → 415 E_FORMAT_UNSUPPORTED. */
export const UPLOAD_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'application/octet-stream'] as const;

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>appliedml speech</title>
<style>body{font-family:sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}.bar{background:#4a8;height:1rem;display:inline-block;vertical-align:middle}
.err{color:#a22}img{image-rendering:pixelated;max-width:100%}.note{color:#666}</style></head>
<body><h1>appliedml spoken-word recogniser</h1><p id="model"></p>
<p>Upload a WAV file (PCM or float, any rate, mono or stereo) of one spoken word. <span class="note">Files are processed in memory and never stored.</span></p>
<input type="file" id="file" accept=".wav,audio/wav,audio/x-wav,audio/wave"> <button id="go">Recognise</button>
<div id="out"></div>
<p><small>The API: <a id="api" href="/docs">OpenAPI page</a> (POST /recognize with the WAV file's bytes as the body; POST /sequence reads several words separated by pauses, e.g. a digit string).</small></p>
<script>
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
fetch('/info').then((r) => r.json()).then((i) => { document.getElementById('model').textContent = i.ready ? 'Labels: ' + i.labels.join(', ') + ' — ' + i.sampleRate + ' Hz model' : 'The model is loading.'; });
document.getElementById('go').onclick = async () => {
  const f = document.getElementById('file').files[0];
  if (!f) return;
  const res = await fetch('/recognize', { method: 'POST', headers: { 'content-type': 'audio/wav' }, body: await f.arrayBuffer() });
  const r = await res.json();
  if (!res.ok) { document.getElementById('out').innerHTML = '<p class="err" id="error">' + esc(r.code + ': ' + r.message) + '</p>'; return; }
  const scores = Object.entries(r.scores).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([l, p]) => '<div>' + esc(l) + ' <span class="bar" style="width:' + (p * 300).toFixed(1) + 'px"></span> ' + (p * 100).toFixed(1) + ' %</div>').join('');
  document.getElementById('out').innerHTML = (r.warning ? '<p class="err" id="warning">' + esc(r.warning) + '</p>' : '') + '<h2 id="label">' + esc(r.label) + '</h2><div id="scores">' + scores + '</div><p id="timing">speech ' + r.speech.startSeconds.toFixed(2) + '–' + r.speech.endSeconds.toFixed(2) + ' s, ' + r.timing.totalMs.toFixed(1) + ' ms</p><h3>MFCC</h3><p id="mfcc-legend">13 coefficients over time, c0 at the bottom; each row on its own colour scale (its min to max)</p><img id="mfcc" alt="MFCC" src="' + r.mfccPng + '">';
};
</script></body></html>`;

/**
 * The body is the WAV file as a Buffer (the kit reads `UPLOAD_TYPES` as bytes). JSON is the one
 * other type the kit parses; it is not a file, so it is a 415 too. An empty body is a 400.
 */
function validateUpload(data: unknown): { value: Buffer } | { error: AppliedMLError } {
  if (!Buffer.isBuffer(data))
    return { error: new AppliedMLError('E_FORMAT_UNSUPPORTED', `Send the WAV file's bytes as ${UPLOAD_TYPES.join(', ')}.`) };
  if (data.length === 0) return { error: new AppliedMLError('E_INPUT_INVALID', 'The upload is empty; send a WAV file.') };
  return { value: data };
}

const pageSchema = { summary: 'The upload page.', tags: ['page'], produces: ['text/html'], response: { 200: { type: 'string' } } } as const;

const infoSchema = {
  summary: 'The loaded model and where it runs.',
  tags: ['speech'],
  response: {
    200: {
      type: 'object',
      required: ['description', 'model', 'sdk', 'labels', 'sampleRate', 'ready'],
      properties: {
        description: { type: 'string', description: 'The model by name and where it runs (no server path).' },
        model: {
          type: 'string',
          description: "The model's bundle folder name (not its path on the server); empty while loading or when not given.",
        },
        sdk: { type: 'string', description: 'The SDK package and version serving the model.' },
        labels: { type: 'array', items: { type: 'string' } },
        sampleRate: { type: 'integer', description: 'The rate the model hears at (uploads are resampled to it).' },
        ready: { type: 'boolean' },
      },
    },
  },
} as const;

const scoresSchema = { type: 'object', additionalProperties: { type: 'number' } } as const;

const uploadBody = { type: 'string', format: 'binary', description: 'The WAV file’s bytes.' } as const;

const recognizeSchema = {
  summary: 'Recognise one spoken word: the label, every label’s probability, where the speech is, timing and the MFCC picture.',
  description: `The body is the WAV file itself (PCM 8/16/24/32-bit or IEEE float, any rate, mono or stereo), up to 10 MiB and ${MAX_AUDIO_SECONDS} s. The MFCC picture is a PNG data URL.`,
  tags: ['speech'],
  consumes: [...UPLOAD_TYPES],
  body: uploadBody,
  response: {
    200: {
      type: 'object',
      required: ['label', 'score', 'scores', 'speech', 'durationSeconds', 'timing', 'mfccPng'],
      properties: {
        label: { type: 'string' },
        score: { type: 'number' },
        scores: scoresSchema,
        speech: {
          type: 'object',
          required: ['startSeconds', 'endSeconds'],
          properties: { startSeconds: { type: 'number' }, endSeconds: { type: 'number' } },
        },
        durationSeconds: { type: 'number' },
        timing: {
          type: 'object',
          required: ['decodeMs', 'featuresMs', 'inferenceMs', 'totalMs'],
          properties: {
            decodeMs: { type: 'number' },
            featuresMs: { type: 'number' },
            inferenceMs: { type: 'number' },
            totalMs: { type: 'number' },
          },
        },
        warning: {
          type: 'string',
          description:
            'Present when the recording seems to hold several words separated by pauses (read as one word here): POST /sequence reads them.',
        },
        mfccPng: {
          type: 'string',
          description:
            'The MFCC picture as a PNG data URL: 13 coefficients over time (before CMVN), c0 at the bottom, each coefficient’s row on its own colour scale (its minimum to maximum in the recording).',
        },
      },
    },
    ...errorResponses,
  },
} as const;

const sequenceSchema = {
  summary: 'Recognise a string of words separated by pauses (e.g. spoken digits).',
  description: `The body is the WAV file itself, as for /recognize (up to 10 MiB and ${MAX_AUDIO_SECONDS} s).`,
  tags: ['speech'],
  consumes: [...UPLOAD_TYPES],
  body: uploadBody,
  response: {
    200: {
      type: 'object',
      required: ['words', 'text', 'durationSeconds', 'timing'],
      properties: {
        words: {
          type: 'array',
          items: {
            type: 'object',
            required: ['label', 'score', 'scores', 'startSeconds', 'endSeconds'],
            properties: {
              label: { type: 'string' },
              score: { type: 'number' },
              scores: scoresSchema,
              startSeconds: { type: 'number' },
              endSeconds: { type: 'number' },
            },
          },
        },
        text: { type: 'string' },
        durationSeconds: { type: 'number' },
        timing: {
          type: 'object',
          required: ['totalMs'],
          properties: {
            totalMs: { type: 'number', description: 'Milliseconds from the upload’s bytes to the words (decoding included).' },
          },
        },
      },
    },
    ...errorResponses,
  },
} as const;

/** Where recognition runs: the model in this process (`inProcess`) or a worker pool (`speechWorkerPool`). */
export interface SpeechInference {
  /** The model by name and where it runs, for the page; no server path. */
  readonly description: string;
  /** The model's bundle folder name (`bundleName`, never its path); '' when not given. */
  readonly model: string;
  readonly labels: string[];
  /** The rate the model hears at. */
  readonly sampleRate: number;
  readonly isReady: boolean;
  /** True while a new recognition would be refused 503 E_BUSY: the service checks it before reading an upload. */
  readonly full: boolean;
  recognize(bytes: Uint8Array): Promise<RecognizeAnswer>;
  sequence(bytes: Uint8Array): Promise<SequenceRecognition>;
  /** Releases the model (or ends the workers); the service calls it on close. */
  close(): Promise<void>;
}

/**
 * The model in this process (tests, small models, `serve --workers 0`): `close()` disposes it unless
 * `dispose: false`. As with the worker pool, recognitions are bounded: `concurrency` (1) at once,
 * `maxQueue` (8) waiting, more are 503 E_BUSY with Retry-After.
 */
export function inProcess(
  model: SpeechRecognizer,
  options: { dispose?: boolean; description?: string; name?: string; concurrency?: number; maxQueue?: number } = {},
): SpeechInference {
  const limit = createConcurrencyLimit({ concurrency: options.concurrency ?? 1, maxQueue: options.maxQueue ?? 8 });
  return {
    description: options.description ?? `${options.name ?? 'speech recogniser'} in the service process`,
    model: options.name ?? '',
    labels: model.labels,
    sampleRate: model.sampleRate,
    isReady: true,
    get full() {
      return limit.full;
    },
    recognize: (bytes) => limit.run(() => recognizeUpload(model, bytes)),
    sequence: (bytes) => limit.run(() => recognizeSequenceUpload(model, bytes)),
    close: async () => {
      if (options.dispose !== false) model.dispose();
    },
  };
}

/**
 * `inProcess(model, options)` once the model is warmed up (`warmUp`: two synthetic recordings through
 * a request's path): given to `createSpeechService` as the promise, /readyz says ready only after it, so
 * the first requests are not the slow first calls after `load`. The model is disposed if the warm-up fails.
 */
export async function warmedInProcess(model: SpeechRecognizer, options: Parameters<typeof inProcess>[1] = {}): Promise<SpeechInference> {
  try {
    await warmUp(model);
  } catch (error) {
    if (options.dispose !== false) model.dispose();
    throw error;
  }
  return inProcess(model, options);
}

/**
 * Recognition in worker threads (`speech-worker.ts`): each loads the saved bundle once and decodes,
 * recognises and draws the MFCC picture there, so a long upload never blocks the event loop.
 * Resolves when every worker has the model.
 */
export async function speechWorkerPool(bundle: string, options: { threads?: number } = {}): Promise<SpeechInference> {
  const threads = options.threads ?? 1;
  const { pool, info } = await openInferencePool<SpeechTask, RecognizeAnswer | SequenceRecognition>({
    worker: new URL(`./speech-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
    bundle,
    threads,
  });
  const labels = Array.isArray(info['labels']) ? info['labels'].map(String) : [];
  // Named by its folder, never its path: /info is read by any web client.
  const name = bundleName(bundle);
  return {
    description: `${name}, ${threads} worker thread${threads === 1 ? '' : 's'}`,
    model: name,
    labels,
    sampleRate: Number(info['sampleRate']),
    get isReady() {
      return pool.isReady;
    },
    get full() {
      return pool.full;
    },
    recognize: async (bytes) => (await pool.run({ kind: 'recognize', bytes })) as RecognizeAnswer,
    sequence: async (bytes) => (await pool.run({ kind: 'sequence', bytes })) as SequenceRecognition,
    close: () => pool.close(),
  };
}

/** Logs, limits, and `onClose`, which runs when the service closes, after `inference.close()`. */
export type SpeechServiceOptions = DemoServiceOptions;

/**
 * The demo service on the demo kit: GET / (upload page), GET /info, POST /recognize with the WAV
 * bytes as the body → {label, score, scores, speech, durationSeconds, timing, mfccPng (a data URL)};
 * POST /sequence → the words of a digit string; GET /healthz, GET /readyz (200 once the model is
 * loaded), the OpenAPI page at /docs. `inference` may be a promise: the service listens while the
 * model loads and answers the uploads 503 E_BUSY until then. Closing the service closes the
 * inference (disposes the model or ends the workers). Nothing is written to disk; bodies are never logged.
 */
export async function createSpeechService(
  inference: SpeechInference | Promise<SpeechInference>,
  options: SpeechServiceOptions = {},
): Promise<Service> {
  const model = loadingModel(inference);
  const bytesOf = (body: Buffer): Uint8Array => new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  return createService({
    name: 'appliedml speech demo',
    description:
      'Spoken-word recognition with the @appliedml/speech SDK: upload a WAV file, get the word, the scores and its MFCC picture.',
    logger: options.logger ?? false,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    limits: { bodyLimit: MAX_UPLOAD_BYTES, ...options.limits },
    binaryTypes: UPLOAD_TYPES,
    isReady: model.isReady,
    onClose: async () => {
      await model.close();
      await options.onClose?.();
    },
    routes(app) {
      for (const url of ['/', '/index.html'])
        app.get(url, { schema: pageSchema }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
      app.get('/info', { schema: infoSchema }, async () => ({
        description: model.current?.description ?? 'The model is loading.',
        model: model.current?.model ?? '',
        sdk: SDK,
        labels: model.current?.labels ?? [],
        sampleRate: model.current?.sampleRate ?? 0,
        ready: model.isReady(),
      }));
      const upload = { validatorCompiler: () => validateUpload, config: { admit: () => model.admit() } };
      app.post<{ Body: Buffer }>('/recognize', { schema: recognizeSchema, ...upload }, async (request) =>
        model.require().recognize(bytesOf(request.body)),
      );
      app.post<{ Body: Buffer }>('/sequence', { schema: sequenceSchema, ...upload }, async (request) =>
        model.require().sequence(bytesOf(request.body)),
      );
    },
  });
}
