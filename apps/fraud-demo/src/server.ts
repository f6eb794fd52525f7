import { createService, errorResponses, readErrorResponses, type DemoServiceOptions, type Service } from '@appliedml/demo-kit';
import { parseDateCell } from '@appliedml/engine';
import { MAX_ID_CHARS, type Transaction, type TransactionScorer } from '@appliedml/fraud';
import { curvesSvg, esc, type CurveEntry } from './curves';
import { readTransactionRow } from './data';

/** A transaction is a few short fields: 64 KiB is plenty. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface Alert {
  /** The transaction's own time (ISO 8601, UTC), the page's "time" column. */
  time: string;
  /** When the service scored it (the server's clock). */
  at: string;
  card: string;
  amount: number;
  score: number;
  reasons: string[];
}

/** What POST /score answers. */
export interface ScoreAnswer {
  score: number;
  decision: 'alert' | 'pass';
  reasons: { feature: string; share: number; value?: number; text: string }[];
  features: Record<string, number>;
}

/** The held-out curves section of the page: AUCROC, AUCPR and the picture from GET /api/curves.svg. */
function curvesSection(c: CurveEntry): string {
  const n = c.labels.length;
  const frauds = Array.from(c.labels).filter((l) => l === 1).length;
  return `<h2>ROC and precision-recall curves</h2>
<p id="auc">AUCROC <span id="aucroc">${(c.aucroc * 100).toFixed(2)}</span>, AUCPR <span id="aucpr">${(c.aucpr * 100).toFixed(2)}</span> (%)
on ${n} held-out transactions, ${frauds} fraudulent: ${esc(c.title)}.</p>
<img id="curves" src="/api/curves.svg" alt="ROC and precision-recall curves of the model on held-out transactions">`;
}

function page(threshold: number, synthetic: boolean, curves: CurveEntry | undefined, timeUnit: 'ms' | 's'): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>appliedml fraud</title>
<style>body{font:14px system-ui,sans-serif;max-width:60rem;margin:2em auto;padding:0 1em}label{display:inline-block;margin:.2em 1em .2em 0}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px}.alert{color:#a22;font-weight:bold}.pass{color:#185;font-weight:bold}
.note{color:#a15c00}td.time{white-space:nowrap}.bar{background:#c0392b;height:.8em;display:inline-block}</style></head>
<body><h1>Fraud scoring</h1>${synthetic ? '<p class="note">Model trained on SYNTHETIC transactions.</p>' : ''}
<form id="tx"><label>Card <input id="card" name="card" required value="card-0001"></label>
<label>Amount <input id="amount" name="amount" type="number" step="0.01" required value="42.50"></label>
<label>Merchant <input id="merchant" name="merchant" value="grocer"></label>
<label>Country <input id="country" name="country" value="US"></label>
<button id="go" type="submit">Score</button></form>
<div id="result"></div>
<h2>Alerts</h2><p>Threshold ${esc(threshold.toFixed(4))}; the latest alerts first.</p>
<table id="alerts"><thead><tr><th>time (UTC)</th><th>card</th><th>amount</th><th>score</th><th>reasons</th></tr></thead><tbody></tbody></table>
${curves ? curvesSection(curves) : ''}
<p><small>The API: <a id="api" href="/docs">OpenAPI page</a> (POST /score {"card", "amount", "timestamp", "merchant", "country"}; GET /alerts${curves ? '; GET /api/curves.svg' : ''}).</small></p>
<script>
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
const $ = (id) => document.getElementById(id);
// An alert's time to the second, UTC as the column says: '2026-11-05 12:00:00' (it showed the raw ISO with milliseconds, and wrapped).
const when = (t) => (typeof t === 'string' && t.length >= 19 && t[10] === 'T' && t.endsWith('Z') ? t.slice(0, 10) + ' ' + t.slice(11, 19) : t);
async function alerts() {
  const list = await (await fetch('/alerts')).json();
  $('alerts').tBodies[0].innerHTML = list.map((a) => '<tr class="row"><td class="time">' + esc(when(a.time)) + '</td><td>' + esc(a.card) + '</td><td>' + a.amount.toFixed(2) + '</td><td>' + a.score.toFixed(3) + '</td><td>' + a.reasons.map(esc).join('<br>') + '</td></tr>').join('');
}
$('tx').onsubmit = async (event) => {
  event.preventDefault();
  const tx = { card: $('card').value, amount: Number($('amount').value), timestamp: ${timeUnit === 's' ? 'Math.floor(Date.now() / 1000)' : 'Date.now()'} };
  if ($('merchant').value) tx.merchant = $('merchant').value;
  if ($('country').value) tx.country = $('country').value;
  const res = await fetch('/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tx) });
  const r = await res.json();
  if (!res.ok) { $('result').innerHTML = '<p class="alert" id="error">' + esc(r.code + ': ' + r.message) + '</p>'; return; }
  $('result').innerHTML = '<h2 id="decision" class="' + r.decision + '">' + r.decision + '</h2>' +
    '<p>Score <span id="score">' + r.score.toFixed(3) + '</span></p><ol id="reasons">' +
    r.reasons.map((x) => '<li><span class="bar" style="width:' + (x.share * 200).toFixed(0) + 'px"></span> ' + esc(x.text) + '</li>').join('') + '</ol>';
  alerts();
};
alerts(); setInterval(alerts, 5000);
</script></body></html>`;
}

/** A checked transaction time (a number in `unit`, ISO 8601 text or a Date) as ISO 8601 in UTC. */
function isoTime(t: Transaction['timestamp'], unit: 'ms' | 's'): string {
  const ms =
    t instanceof Date ? t.getTime() : typeof t === 'number' ? (unit === 's' ? t * 1000 : t) : (parseDateCell(String(t))?.getTime() ?? NaN);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(t);
}

// Card, merchant and country are bounded by the SDK's own MAX_ID_CHARS, as in the CLI (it was 128 / 64 here).
const text = (minLength: number, description: string) => ({ type: 'string', minLength, maxLength: MAX_ID_CHARS, description }) as const;

/**
 * The guide's transaction (docs/fraud.md), the /docs page's example body: its "Try it out" sends it as is
 * (without one, Swagger UI filled the timestamp with 0, which the SDK refuses as no plausible time).
 * The time is ISO 8601 text, which reads the same under either --time-unit.
 */
export const SCORE_EXAMPLE = {
  card: 'card-00001',
  amount: 2400,
  timestamp: '2026-11-05T12:00:00Z',
  merchant: 'm-7',
  country: 'FR',
} as const;

const scoreSchemaFor = (timeUnit: 'ms' | 's') =>
  ({
    summary: 'Score one card transaction against its card’s history: a score, a decision and the reasons.',
    tags: ['fraud'],
    body: {
      type: 'object',
      required: ['card', 'amount', 'timestamp'],
      additionalProperties: false,
      examples: [SCORE_EXAMPLE],
      properties: {
        card: text(1, 'The card (or account) id; its state holds the card’s recent transactions.'),
        amount: { type: 'number', minimum: 0, maximum: 1e9, description: 'The amount (0 to 10⁹, as the SDK accepts).' },
        // The SDK's checks, stated here: the schema answers with the field's name, never the value.
        timestamp: {
          anyOf: [
            {
              type: 'number',
              description: timeUnit === 's' ? 'Unix seconds (this model was trained with --time-unit s).' : 'Epoch milliseconds.',
            },
            // What the SDK reads (one without an offset in UTC fields, `2026-10-31 12:00` too): JSON Schema's
            // date-time wants an offset, and its refusal made the anyOf say "must be of type number".
            // Digits, date punctuation, '/' and an exponent's e only, so a refusal cannot echo markup; the
            // text is read as the CLI reads a file's (epoch digits, 1.79e12; a refused time is told the
            // forms, an hours-only offset to add its minutes).
            {
              type: 'string',
              minLength: 1,
              maxLength: 64,
              pattern: '^\\s*[+-]?[0-9][0-9T:.,+ZeE/ -]*\\s*$',
              description: `An ISO 8601 date, or date and time (one without an offset is read in UTC), or the ${timeUnit === 's' ? 'Unix seconds' : 'epoch milliseconds'} as text.`,
            },
          ],
        },
        // Blank is absent, as in a file (readTransactionRow).
        merchant: text(0, 'The merchant id (blank: none).'),
        country: text(0, 'The country code (blank: none).'),
      },
    },
    response: {
      200: {
        type: 'object',
        required: ['score', 'decision', 'reasons', 'features'],
        properties: {
          score: { type: 'number' },
          decision: { type: 'string', enum: ['alert', 'pass'] },
          reasons: {
            type: 'array',
            items: {
              type: 'object',
              required: ['feature', 'share', 'text'],
              properties: { feature: { type: 'string' }, share: { type: 'number' }, value: { type: 'number' }, text: { type: 'string' } },
            },
          },
          features: { type: 'object', additionalProperties: { type: 'number' } },
        },
      },
      ...errorResponses,
    },
  }) as const;

const alertsSchema = {
  summary: 'The latest alerts, newest first.',
  tags: ['fraud'],
  response: {
    200: {
      type: 'array',
      items: {
        type: 'object',
        required: ['time', 'at', 'card', 'amount', 'score', 'reasons'],
        properties: {
          time: { type: 'string', description: 'The transaction’s timestamp, as ISO 8601 in UTC.' },
          at: { type: 'string', description: 'When the service scored it (the server’s clock), ISO 8601 in UTC.' },
          card: { type: 'string' },
          amount: { type: 'number' },
          score: { type: 'number' },
          reasons: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

const curvesSchema = {
  summary: 'The model’s ROC and precision-recall curves on labelled held-out transactions (SVG), with AUCROC and AUCPR.',
  tags: ['fraud'],
  produces: ['image/svg+xml'],
  response: { 200: { type: 'string' }, ...readErrorResponses },
} as const;

/** Besides logs, limits and `onClose` (runs when the service closes, e.g. dispose the scorer): */
export interface FraudServiceOptions extends DemoServiceOptions {
  /**
   * The model's scores on labelled held-out transactions (`heldOutCurves`, on a copy of the
   * scorer): drawn once at start-up, served as GET /api/curves.svg and shown on the page with
   * AUCROC and AUCPR. Without it the page has no curves and the route does not exist.
   */
  curves?: CurveEntry;
  /** Alerts kept for the page (default 200; older ones are dropped). */
  maxAlerts?: number;
  /** Say on the page that the model was trained on synthetic data. */
  synthetic?: boolean;
}

/**
 * The fraud demo on the demo kit: POST /score a transaction → {score, decision, reasons, features};
 * GET /alerts; GET / (a page that scores a transaction and lists the alerts, and, given `curves`,
 * shows the held-out ROC and PR curves from GET /api/curves.svg); GET /healthz,
 * GET /readyz, the OpenAPI page at /docs. The scorer keeps per-card state, so it runs in this
 * process (one state, requests in arrival order); a detector's `predict` is one row, well under a
 * millisecond for the unsupervised detectors.
 */
export async function createFraudService(scorer: TransactionScorer, options: FraudServiceOptions = {}): Promise<Service> {
  const alerts: Alert[] = [];
  const maxAlerts = options.maxAlerts ?? 200;
  const curves = options.curves;
  // Drawn once: the held-out scores do not change while the service runs.
  const svg = curves ? curvesSvg(curves) : undefined;
  return createService({
    name: 'appliedml fraud demo',
    description: 'Card-transaction fraud scoring with the @appliedml/fraud SDK: a score, a decision and the reasons.',
    logger: options.logger ?? false,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    limits: { bodyLimit: MAX_BODY_BYTES, ...options.limits },
    // A body field POST /score does not take is named when its name is plain (the kit's rule), with the
    // fields it takes: "The body has field 'label', which this route does not accept: it takes card, …".
    nameUnknownFields: true,
    ...(options.onClose ? { onClose: options.onClose } : {}),
    routes(app) {
      const pageSchema = {
        summary: 'The web page.',
        tags: ['page'],
        produces: ['text/html'],
        response: { 200: { type: 'string' } },
      } as const;
      for (const url of ['/', '/index.html'])
        app.get(url, { schema: pageSchema }, async (_request, reply) =>
          reply.type('text/html; charset=utf-8').send(page(scorer.threshold, options.synthetic ?? false, curves, scorer.timeUnit)),
        );
      app.get('/alerts', { schema: alertsSchema }, async () => alerts);
      if (svg !== undefined)
        app.get('/api/curves.svg', { schema: curvesSchema }, async (_request, reply) =>
          reply.type('image/svg+xml').header('cache-control', 'no-cache').send(svg),
        );
      app.post<{ Body: Transaction }>('/score', { schema: scoreSchemaFor(scorer.timeUnit) }, async (request): Promise<ScoreAnswer> => {
        // Read as the CLI reads a file's row: epoch numbers written as text, the CLI's time messages.
        const tx = readTransactionRow(request.body, scorer.timeUnit, 'The body');
        const s = await scorer.score(tx);
        if (s.isFraud) {
          alerts.unshift({
            time: isoTime(tx.timestamp, scorer.timeUnit),
            at: new Date().toISOString(),
            card: tx.card,
            amount: tx.amount,
            score: s.score,
            reasons: s.reasons.map((r) => r.text),
          });
          if (alerts.length > maxAlerts) alerts.length = maxAlerts;
        }
        return { score: s.score, decision: s.isFraud ? 'alert' : 'pass', reasons: s.reasons, features: s.features };
      });
    },
  });
}
