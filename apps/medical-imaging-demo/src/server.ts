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
import { MEDICAL_IMAGING_PACKAGE, MEDICAL_IMAGING_VERSION, type TrainedOn } from '@appliedml/medical-imaging';
import { analyse, type AnalyseOptions, type ModelSummary, type PredictAnswer, type ServerModels } from './analysis';
import { trainedOnNote } from './provenance';

export { analyse, MAX_UPLOAD_PIXELS } from './analysis';
export type { AnalyseOptions, ModelSummary, PredictAnswer, ServerModels } from './analysis';

/** The SDK serving the models, as `GET /info` says it. */
export const SDK = `${MEDICAL_IMAGING_PACKAGE} ${MEDICAL_IMAGING_VERSION}`;

/**
 * What `GET /info` and the page say about the models: each one's bundle folder name (`bundleName`,
 * never a path on the server) and what its bundle says it was trained on, a classifier's labels, and
 * the worker threads when there is a pool.
 */
export function modelsDescription(models: readonly ModelSummary[], labels: readonly string[], threads?: number): string {
  const said = models.map((m) =>
    m.task === 'classifier' ? `classifier ${m.name} (labels ${labels.join(', ')}; ${m.trainedOn})` : `segmenter ${m.name} (${m.trainedOn})`,
  );
  if (threads !== undefined) said.push(`${threads} worker thread${threads === 1 ? '' : 's'}`);
  return said.join(', ');
}

/** A model's summary for `GET /info` from its bundle folder (only its name is said) and its trainedOn note. */
export function modelSummary(task: ModelSummary['task'], bundle: string, trainedOn: string): ModelSummary {
  return { task, name: bundleName(bundle), trainedOn };
}

/** Largest upload accepted (DICOM files can be large; the readers' pixel limit applies inside). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Content types `POST /predict` reads as the raw file; any other → 415 E_FORMAT_UNSUPPORTED. */
export const UPLOAD_TYPES = ['application/dicom', 'image/png', 'image/jpeg', 'image/tiff', 'application/octet-stream'] as const;

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>appliedml medical imaging</title>
<style>body{font-family:sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}img{width:18rem;image-rendering:pixelated;margin-right:.5rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}.err{color:#a22}.warn{color:#8a5a00}.note{color:#666}</style></head>
<body><h1>appliedml medical imaging</h1><p id="model"></p><p class="note">Not a medical device. Files are processed in memory and never stored. A colour image (a photo, such as an endoscopy frame) is not given to the classifier, which was trained on grayscale images: it is drawn in colour, with the lesion mask when a segmenter is loaded.</p>
<input type="file" id="file" accept=".dcm,.png,.jpg,.jpeg,.tif,.tiff,application/dicom,image/png,image/jpeg,image/tiff"> <button id="go">Analyse</button>
<p><label>Gray levels <select id="voi"><option value="auto">auto: a DICOM's window, a PNG's full range</option><option value="minmax">minmax: stretch the stored range (a 12-bit X-ray in a 16-bit PNG)</option></select></label>
<label>Frame (DICOM) or page (TIFF) <input type="number" id="frame" min="0" step="1" placeholder="0" style="width:5rem"></label></p><div id="out"></div>
<p><small>The API: <a id="api" href="/docs">OpenAPI page</a> (POST /predict with the file's bytes as the body; <code>?voi=minmax</code> stretches the gray levels, <code>?frame=N</code> picks a DICOM frame or a TIFF page, numbered from 0).</small></p>
<script>
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
fetch('/info').then((r) => r.json()).then((i) => { document.getElementById('model').textContent = i.description; });
document.getElementById('go').onclick = async () => {
  const f = document.getElementById('file').files[0]; if (!f) return;
  const q = new URLSearchParams(); const voi = document.getElementById('voi').value; const frame = document.getElementById('frame').value.trim();
  if (voi !== 'auto') q.set('voi', voi); if (frame !== '') q.set('frame', frame);
  const res = await fetch('/predict' + (String(q) ? '?' + q : ''), { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: await f.arrayBuffer() });
  const r = await res.json();
  if (!res.ok) { document.getElementById('out').innerHTML = '<p class="err" id="error">' + esc(r.code + ': ' + r.message) + '</p>'; return; }
  let html = '<p id="meta">' + esc(r.format.toUpperCase()) + ', ' + r.width + ' × ' + r.height + ', ' + r.bitDepth + '-bit' + (r.voi === 'minmax' ? ', stretched (voi minmax)' : '') +
    (r.dicom ? ', <span id="frame-note">frame ' + r.dicom.frame + ' of ' + r.dicom.frames + ' analysed (numbered from 0)</span>' :
      r.frames > 1 ? ', <span id="frame-note">page ' + r.frame + ' of ' + r.frames + ' analysed (numbered from 0)</span>' : '') + '</p>';
  if (r.warnings) html += r.warnings.map((w) => '<p class="warn" id="warning">' + esc(w) + '</p>').join('');
  if (r.classification) html += '<h2><span id="label">' + esc(r.classification.label) + '</span> (<span id="score">' + (r.classification.score * 100).toFixed(1) + '</span> %)</h2><p>' +
    Object.entries(r.classification.probabilities).map(([l, p]) => esc(l) + ' ' + (p * 100).toFixed(1) + ' %').join(' · ') + '</p>';
  html += '<div><img id="image" src="data:image/png;base64,' + r.imagePng + '" alt="image">';
  if (r.heatmapPng) html += '<img id="heatmap" src="data:image/png;base64,' + r.heatmapPng + '" alt="Grad-CAM">';
  if (r.segmentation) html += '<img id="mask" src="data:image/png;base64,' + r.segmentation.overlayPng + '" alt="mask">';
  html += '</div>';
  if (r.segmentation) html += '<p>Predicted lesion area: ' + (r.segmentation.area * 100).toFixed(1) + ' % of the image</p>';
  if (r.dicom) html += '<h3>DICOM tags (identifying tags are never read)</h3><table id="tags">' +
    r.dicom.tags.map((t) => '<tr><td>' + esc(t.tag) + '</td><td>' + esc(t.name) + '</td><td>' + esc(t.value) + '</td></tr>').join('') + '</table>';
  document.getElementById('out').innerHTML = html;
};
</script></body></html>`;

/** One upload as a worker of the pool receives it. */
export interface MedicalUpload {
  bytes: Uint8Array;
  options: AnalyseOptions;
}

/** Where the analyses run: the models in this process (`inProcess`) or a worker pool (`medicalWorkerPool`). */
export interface MedicalInference {
  /** One line for the page: the models by name and what they were trained on; no server path. */
  readonly description: string;
  /** Each model: its bundle's name (never its path) and what it was trained on. */
  readonly models: readonly ModelSummary[];
  readonly labels: string[];
  readonly segmenter: boolean;
  readonly isReady: boolean;
  /** True while a new analysis would be refused 503 E_BUSY: the service checks it before reading an upload. */
  readonly full: boolean;
  analyse(bytes: Uint8Array, options?: AnalyseOptions): Promise<PredictAnswer>;
  /** Releases the models (or ends the workers); the service calls it on close. */
  close(): Promise<void>;
}

/**
 * `GET /info`'s entry for each model given without `models` (an embedder's, a test's): its task and what it
 * says it was trained on, named '' (no bundle folder the service knows of). It said none at all, while ready.
 */
function loadedModels(models: ServerModels): ModelSummary[] {
  const entry = (task: ModelSummary['task'], model: { readonly trainedOn: TrainedOn | undefined }): ModelSummary => ({
    task,
    name: '',
    trainedOn: trainedOnNote(model.trainedOn),
  });
  return [
    ...(models.classifier ? [entry('classifier', models.classifier)] : []),
    ...(models.segmenter ? [entry('segmenter', models.segmenter)] : []),
  ];
}

/**
 * The models in this process (tests, small models, `serve --workers 0`): `close()` disposes them
 * unless `dispose: false`. As with the worker pool, analyses are bounded: `concurrency` (1) at once,
 * `maxQueue` (8) waiting, more are 503 E_BUSY with Retry-After (a large image takes hundreds of MB).
 */
export function inProcess(
  models: ServerModels,
  options: { dispose?: boolean; concurrency?: number; maxQueue?: number } = {},
): MedicalInference {
  const limit = createConcurrencyLimit({ concurrency: options.concurrency ?? 1, maxQueue: options.maxQueue ?? 8 });
  return {
    description: models.description,
    models: models.models ?? loadedModels(models),
    labels: models.classifier?.labels ?? [],
    segmenter: Boolean(models.segmenter),
    isReady: true,
    get full() {
      return limit.full;
    },
    analyse: (bytes, analyseOptions = {}) => limit.run(() => analyse(models, bytes, analyseOptions)),
    close: async () => {
      if (options.dispose === false) return;
      models.classifier?.dispose();
      models.segmenter?.dispose();
    },
  };
}

/**
 * The analyses in worker threads (`medical-worker.ts`): each loads the saved bundles once and reads,
 * classifies and draws there, so a large DICOM or the overlays never block the event loop.
 * Resolves when every worker has the models.
 */
export async function medicalWorkerPool(bundle: string, options: { segmenter?: string; threads?: number } = {}): Promise<MedicalInference> {
  const { pool, info } = await openInferencePool<MedicalUpload, PredictAnswer>({
    worker: new URL(`./medical-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
    bundle,
    loadOptions: options.segmenter ? { segmenter: options.segmenter } : {},
    threads: options.threads ?? 1,
  });
  const labels = Array.isArray(info['labels']) ? info['labels'].map(String) : [];
  const threads = options.threads ?? 1;
  const models = [
    modelSummary('classifier', bundle, String(info['classifierTrainedOn'])),
    ...(options.segmenter ? [modelSummary('segmenter', options.segmenter, String(info['segmenterTrainedOn']))] : []),
  ];
  return {
    description: modelsDescription(models, labels, threads),
    models,
    labels,
    segmenter: info['segmenter'] === true,
    get isReady() {
      return pool.isReady;
    },
    get full() {
      return pool.full;
    },
    analyse: (bytes, analyseOptions = {}) => pool.run({ bytes, options: analyseOptions }),
    close: () => pool.close(),
  };
}

/**
 * The body is the raw file as a Buffer (the kit reads `UPLOAD_TYPES` as bytes). JSON is the one
 * other type the kit parses; it is not a file, so it is a 415 too. An empty body is a 400.
 */
function validateUpload(data: unknown): { value: Buffer } | { error: AppliedMLError } {
  if (!Buffer.isBuffer(data))
    return { error: new AppliedMLError('E_FORMAT_UNSUPPORTED', `Send the file's bytes as ${UPLOAD_TYPES.join(', ')}.`) };
  if (data.length === 0)
    return { error: new AppliedMLError('E_INPUT_INVALID', 'The upload is empty; send a DICOM, PNG, JPEG or TIFF file.') };
  return { value: data };
}

/** Largest `frame` taken: DICOM's Number of Frames is an IS of at most 12 characters. */
const MAX_FRAME = 999_999_999_999;

/**
 * The query string of `POST /predict`: `voi` (auto | minmax) and `frame` (a whole number from 0).
 * Anything else, or a parameter given twice, is E_INPUT_INVALID; the values are not quoted back.
 */
function validatePredictQuery(data: unknown): { value: AnalyseOptions } | { error: AppliedMLError } {
  const invalid = (message: string): { error: AppliedMLError } => ({ error: new AppliedMLError('E_INPUT_INVALID', message) });
  const query = (data ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(query).filter((key) => key !== 'voi' && key !== 'frame');
  if (unknown.length > 0)
    return invalid('POST /predict takes the query parameters voi (auto or minmax) and frame (a DICOM frame or TIFF page number) only.');
  const value: AnalyseOptions = {};
  if (query['voi'] !== undefined) {
    if (query['voi'] !== 'auto' && query['voi'] !== 'minmax') return invalid('voi must be auto or minmax, given once.');
    value.voi = query['voi'];
  }
  if (query['frame'] !== undefined) {
    const text = query['frame'];
    if (typeof text !== 'string' || !/^\d{1,12}$/.test(text) || Number(text) > MAX_FRAME)
      return invalid('frame must be a whole number from 0 (the DICOM frame or TIFF page to analyse, numbered from 0), given once.');
    value.frame = Number(text);
  }
  return { value };
}

const predictQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    voi: {
      type: 'string',
      enum: ['auto', 'minmax'],
      default: 'auto',
      description:
        "How stored values become gray: auto (a DICOM's own window, a PNG's full range) or minmax (stretch the stored range: a 12-bit X-ray in a 16-bit PNG, which reads nearly black otherwise).",
    },
    frame: {
      type: 'integer',
      minimum: 0,
      description:
        'The DICOM frame or page of a multi-page TIFF to analyse, numbered from 0 (default 0). Past the last, or given for a PNG / JPEG / one-page TIFF (one image), it is 400 E_INPUT_INVALID.',
    },
  },
} as const;

const pageSchema = { summary: 'The upload page.', tags: ['page'], produces: ['text/html'], response: { 200: { type: 'string' } } } as const;

const infoSchema = {
  summary: 'The loaded models.',
  tags: ['medical-imaging'],
  response: {
    200: {
      type: 'object',
      required: ['description', 'models', 'sdk', 'labels', 'segmenter', 'ready'],
      properties: {
        description: { type: 'string', description: 'The models in one line: names, labels, what they were trained on.' },
        models: {
          type: 'array',
          description: 'Each model loaded (none while loading).',
          items: {
            type: 'object',
            required: ['task', 'name', 'trainedOn'],
            properties: {
              task: { type: 'string', enum: ['classifier', 'segmenter'] },
              name: {
                type: 'string',
                description:
                  "The model's bundle folder name (not its path on the server); empty for a model the service was given without one.",
              },
              trainedOn: {
                type: 'string',
                description: 'What its bundle says it was trained on (generated phantoms say nothing medical).',
              },
            },
          },
        },
        sdk: { type: 'string', description: 'The SDK package and version serving the models.' },
        labels: { type: 'array', items: { type: 'string' } },
        segmenter: { type: 'boolean' },
        ready: { type: 'boolean' },
      },
    },
  },
} as const;

const predictSchema = {
  summary: 'Analyse one image: classification with a Grad-CAM overlay, an optional lesion mask, and the DICOM tags.',
  description:
    'The body is the file itself (DICOM, PNG, JPEG or TIFF), up to 64 MiB and 8,192 × 8,192 pixels. ' +
    'Pictures are PNG in base64. DICOM tags are an allow-list of technical tags: no patient identifiers.',
  tags: ['medical-imaging'],
  consumes: [...UPLOAD_TYPES],
  querystring: predictQuery,
  body: { type: 'string', format: 'binary', description: 'The image file’s bytes.' },
  response: {
    200: {
      type: 'object',
      required: ['format', 'width', 'height', 'bitDepth', 'imagePng', 'voi', 'frames', 'frame'],
      properties: {
        format: { type: 'string' },
        width: { type: 'integer' },
        height: { type: 'integer' },
        bitDepth: { type: 'integer' },
        imagePng: { type: 'string', description: 'The image as PNG, base64.' },
        voi: { type: 'string', enum: ['auto', 'minmax'], description: 'How the stored values were mapped to gray (the voi asked for).' },
        frames: { type: 'integer', description: "The images in the file: a DICOM file's frames, a multi-page TIFF's pages, else 1." },
        frame: { type: 'integer', description: 'The frame or page analysed, numbered from 0 (the one asked for, else 0).' },
        classification: {
          type: 'object',
          required: ['label', 'score', 'probabilities'],
          properties: {
            label: { type: 'string' },
            score: { type: 'number' },
            probabilities: { type: 'object', additionalProperties: { type: 'number' } },
          },
        },
        heatmapPng: { type: 'string', description: 'The Grad-CAM heatmap over the image as PNG, base64.' },
        segmentation: {
          type: 'object',
          required: ['area', 'overlayPng'],
          properties: { area: { type: 'number' }, overlayPng: { type: 'string' } },
        },
        dicom: {
          type: 'object',
          required: ['tags', 'frames', 'frame', 'modality'],
          properties: {
            tags: {
              type: 'array',
              items: {
                type: 'object',
                required: ['tag', 'name', 'value'],
                properties: { tag: { type: 'string' }, name: { type: 'string' }, value: { type: 'string' } },
              },
            },
            frames: { type: 'integer', description: 'How many frames the file holds.' },
            frame: { type: 'integer', description: 'The frame analysed, numbered from 0 (the one asked for, else 0).' },
            modality: { type: ['string', 'null'] },
          },
        },
        warnings: {
          type: 'array',
          items: { type: 'string' },
          description:
            'Why the image is unlike the training images (too small, a strip, one flat value, nearly black): the prediction means little; or that a colour image was not given to the classifier (trained on grayscale images), which then gives no classification.',
        },
      },
    },
    ...errorResponses,
  },
} as const;

/** Logs, limits, and `onClose`, which runs when the service closes, after `inference.close()`. */
export type MedicalServiceOptions = DemoServiceOptions;

/**
 * The demo service on the demo kit: GET / (upload page), GET /info, POST /predict with the raw
 * file (DICOM, PNG, JPEG, TIFF) and optional `?voi=minmax&frame=N` → {format, width, height, bitDepth,
 * imagePng, voi, frames, frame, classification?, heatmapPng?, segmentation?, dicom? (with the frame analysed of how many)}; GET /healthz, GET /readyz (200 once the models are loaded),
 * the OpenAPI page at /docs. `inference` may be a promise: the service listens while the models load
 * and answers /predict 503 E_BUSY until then. Closing the service closes the inference (disposes
 * the models or ends the workers). Nothing is written to disk; bodies are never logged.
 */
export async function createMedicalService(
  inference: MedicalInference | Promise<MedicalInference>,
  options: MedicalServiceOptions = {},
): Promise<Service> {
  const model = loadingModel(inference);
  return createService({
    name: 'appliedml medical imaging demo',
    description: 'Medical image classification with Grad-CAM and lesion segmentation with the @appliedml/medical-imaging SDK.',
    logger: options.logger ?? false,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    limits: { bodyLimit: MAX_BODY_BYTES, ...options.limits },
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
        models: model.current?.models ?? [],
        sdk: SDK,
        labels: model.current?.labels ?? [],
        segmenter: model.current?.segmenter ?? false,
        ready: model.isReady(),
      }));
      app.post<{ Body: Buffer; Querystring: AnalyseOptions }>(
        '/predict',
        {
          schema: predictSchema,
          validatorCompiler: ({ httpPart }) => (httpPart === 'body' ? validateUpload : validatePredictQuery),
          config: { admit: () => model.admit() },
        },
        async (request): Promise<PredictAnswer> => {
          const bytes = new Uint8Array(request.body.buffer, request.body.byteOffset, request.body.byteLength);
          return model.require().analyse(bytes, request.query);
        },
      );
    },
  });
}
