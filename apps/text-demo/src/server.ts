import {
  bundleName,
  openInferencePool,
  createService,
  loadingModel,
  errorResponses,
  readErrorResponses,
  type Service,
  type ServiceOptions,
} from '@appliedml/demo-kit';
import type { TextClassifier, TextMetrics } from '@appliedml/text';
import { answerFor, MAX_EXPLAINED_CHARS, WEIGHT_UNITS, type PredictAnswer } from './answer';
import { confusionSvg } from './report';

export type { PredictAnswer } from './answer';

/** Largest request body accepted (the SDK's text cap applies inside it too: a longer text is 413 from the SDK). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Where predictions come from: the model in this process, or a worker pool (see `textWorkerPool`). */
export interface TextInference {
  readonly labels: string[];
  readonly isReady: boolean;
  /** The model's name for GET /info (a worker pool says it once loaded). */
  readonly model?: string;
  predict(text: string): Promise<PredictAnswer>;
  close?(): Promise<void>;
}

/** Inference on the event loop (tests, tiny models). */
export function inProcess(model: TextClassifier): TextInference {
  return {
    get labels() {
      return model.labels;
    },
    isReady: true,
    predict: (text) => answerFor(model, text),
  };
}

/**
 * Inference in worker threads: each loads the saved bundle once (`text-worker.ts`), so a long
 * text never blocks the other requests. Resolves when every worker has the model.
 */
export async function textWorkerPool(bundle: string, options: { threads?: number } = {}): Promise<TextInference & { model: string }> {
  const { pool, info } = await openInferencePool<string, PredictAnswer>({
    worker: new URL(`./text-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
    bundle,
    threads: options.threads ?? 1,
  });
  return {
    labels: info['labels'] as string[],
    // GET /info shows it to any web client: the bundle's folder name, never its path on the server.
    model: `${String(info['model'])} (${bundleName(bundle)})`,
    get isReady() {
      return pool.isReady;
    },
    predict: (text) => pool.run(text),
    close: () => pool.close(),
  };
}

/** The model's metrics on a labelled held-out set, for the confusion matrix on the page. */
export interface HeldOutMetrics {
  /** What the held-out set is (shown on the page). */
  title: string;
  metrics: Pick<TextMetrics, 'labels' | 'confusion' | 'accuracy' | 'count'>;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function confusionSection(h: HeldOutMetrics): string {
  return `<h2>Confusion matrix</h2><p id="held-out">Accuracy <span id="accuracy">${(h.metrics.accuracy * 100).toFixed(2)}</span> % on ${h.metrics.count} held-out texts (${escape(h.title)}).</p>
<img id="confusion" src="/api/confusion.svg" alt="Confusion matrix of the model on the held-out texts: rows true labels, columns predicted">`;
}

const page = (
  heldOut: HeldOutMetrics | undefined,
): string => `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>appliedml text</title>
<style>body{font-family:sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}textarea{width:100%;height:8rem}
.bar{background:#4a8;height:1rem;display:inline-block;vertical-align:middle}.pos{color:#185}.neg{color:#a22}</style></head>
<body><h1>appliedml text classifier</h1><p id="model"></p>
<textarea id="text" placeholder="Type a text and press Classify"></textarea><br><button id="go">Classify</button>
<div id="out"></div>
${heldOut ? confusionSection(heldOut) : ''}
<p><small>The API: <a id="api" href="/docs">OpenAPI page</a> (POST /predict {"text": "..."}${heldOut ? '; GET /api/confusion.svg' : ''}).</small></p>
<script>
const UNITS = ${JSON.stringify(WEIGHT_UNITS).replace(/</g, '\\u003c')};
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
fetch('/info').then((r) => r.json()).then((i) => { document.getElementById('model').textContent = 'Model: ' + i.model + ' — labels: ' + i.labels.join(', '); });
document.getElementById('go').onclick = async () => {
  const res = await fetch('/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: document.getElementById('text').value }) });
  const r = await res.json();
  if (!res.ok) { document.getElementById('out').innerHTML = '<p class="neg">' + esc(r.code + ': ' + r.message) + '</p>'; return; }
  const scores = Object.entries(r.scores).sort((a, b) => b[1] - a[1]).map(([l, p]) => '<div class="score">' + esc(l) + ' <span class="bar" style="width:' + (p * 300) + 'px"></span> ' + (p * 100).toFixed(1) + ' %</div>').join('');
  const words = r.explanation.tokens.map((t) => '<span class="' + (t.weight > 0 ? 'pos' : 'neg') + '">' + esc(t.token) + ' (' + t.weight.toFixed(3) + ')</span>').join(', ');
  const unit = (UNITS[r.explanation.method] ?? 'weight') + '; ' + r.explanation.method;
  document.getElementById('out').innerHTML = '<h2 id="label">' + esc(r.label) + '</h2>' + scores + '<p>Words that pushed the decision (<span id="weight-unit">' + esc(unit) + '</span>): ' + words + '</p>';
};
</script></body></html>`;

const tokenList = {
  type: 'array',
  items: {
    type: 'object',
    required: ['token', 'weight'],
    properties: {
      token: { type: 'string' },
      weight: {
        type: 'number',
        description: `Positive: pushed towards the label. By explanation.method: ${Object.entries(WEIGHT_UNITS)
          .map(([method, unit]) => `${method}: ${unit}`)
          .join('; ')}.`,
      },
    },
  },
} as const;

const predictSchema = {
  summary: 'Classify a text and say which words pushed the decision.',
  tags: ['text'],
  body: {
    type: 'object',
    required: ['text'],
    additionalProperties: false,
    properties: { text: { type: 'string', description: 'The text (the model caps its length: longer is 413 E_INPUT_TOO_LARGE).' } },
  },
  response: {
    200: {
      type: 'object',
      required: ['label', 'labels', 'scores', 'explanation'],
      properties: {
        label: { type: 'string' },
        labels: { type: 'array', items: { type: 'string' } },
        scores: { type: 'object', additionalProperties: { type: 'number' } },
        explanation: {
          type: 'object',
          required: ['method', 'tokens'],
          properties: {
            method: { type: 'string', enum: ['linear-contributions', 'occlusion'] },
            tokens: tokenList,
            features: tokenList,
            explainedChars: {
              type: 'integer',
              description: `Only for a text over ${MAX_EXPLAINED_CHARS} characters: how many of its first characters the words explain (the label and scores are the whole text's).`,
            },
          },
        },
      },
    },
    ...errorResponses,
  },
} as const;

const pageSchema = { summary: 'The web page.', tags: ['page'], produces: ['text/html'], response: { 200: { type: 'string' } } } as const;

const confusionSchema = {
  summary: 'The model’s confusion matrix on labelled held-out texts (SVG): rows true labels, columns predicted.',
  tags: ['text'],
  produces: ['image/svg+xml'],
  response: { 200: { type: 'string' }, ...readErrorResponses },
} as const;

export interface TextServiceOptions {
  /**
   * The model's metrics on labelled held-out texts (e.g. `model.evaluate(split.test)`): the
   * confusion matrix is drawn once at start-up, served as GET /api/confusion.svg and shown on the
   * page with the accuracy. Without it the page has no matrix and the route does not exist.
   */
  heldOut?: HeldOutMetrics;
  logger?: ServiceOptions['logger'];
  allowedHosts?: ServiceOptions['allowedHosts'];
  limits?: ServiceOptions['limits'];
}

/**
 * The demo service on the demo kit: GET / (a page), GET /info, POST /predict with {"text": "..."} →
 * {label, labels, scores, explanation}; errors are {code, message} with the engine's HTTP status;
 * GET /healthz, GET /readyz, the OpenAPI page at /docs; given `heldOut`, GET /api/confusion.svg (the
 * held-out confusion matrix, also on the page with the accuracy). Closing it also ends the inference source.
 * `inference` may be a promise (`serve` listens while the workers load the model): /readyz is 503
 * "loading" and /predict 503 E_BUSY with Retry-After until it resolves. `info.model` names the model
 * (default: the inference's own `model`).
 */
export async function createTextService(
  inference: TextInference | Promise<TextInference>,
  info: { model?: string } = {},
  options: TextServiceOptions = {},
): Promise<Service> {
  const model = loadingModel(
    Promise.resolve(inference).then((source) => ({
      source,
      get isReady() {
        return source.isReady;
      },
      close: async () => {
        await source.close?.();
      },
    })),
  );
  const heldOut = options.heldOut;
  // Drawn once: the held-out metrics do not change while the service runs.
  const svg = heldOut ? confusionSvg(heldOut.metrics) : undefined;
  const html = page(heldOut);
  return createService({
    name: 'appliedml text demo',
    description: 'Text classification with the @appliedml/text SDK: a label, every label’s probability, and the words that mattered.',
    logger: options.logger ?? false,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    limits: { bodyLimit: MAX_BODY_BYTES, ...options.limits },
    nameUnknownFields: true,
    isReady: model.isReady,
    onClose: () => model.close(),
    routes(app) {
      for (const url of ['/', '/index.html'])
        app.get(url, { schema: pageSchema }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
      app.get(
        '/info',
        {
          schema: {
            summary: 'The model and its labels.',
            tags: ['text'],
            response: {
              200: {
                type: 'object',
                required: ['model', 'labels'],
                properties: { model: { type: 'string' }, labels: { type: 'array', items: { type: 'string' } } },
              },
            },
          },
        },
        async () => ({
          model: info.model ?? model.current?.source.model ?? 'The model is loading.',
          labels: model.current?.source.labels ?? [],
        }),
      );
      if (svg !== undefined)
        app.get('/api/confusion.svg', { schema: confusionSchema }, async (_request, reply) =>
          reply.type('image/svg+xml').header('cache-control', 'no-cache').send(svg),
        );
      app.post<{ Body: { text: string } }>('/predict', { schema: predictSchema }, (request) =>
        model.require().source.predict(request.body.text),
      );
    },
  });
}
