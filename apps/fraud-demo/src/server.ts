import { createServer, type IncomingMessage, type Server } from 'node:http';
import { AppliedMLError, httpStatusForCode } from '@appliedml/engine';
import type { TransactionScore, TransactionScorer } from '@appliedml/fraud';

const MAX_BODY = 64 * 1024;
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Alert {
  at: string;
  card: string;
  amount: number;
  score: number;
  reasons: string[];
}

async function body(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new AppliedMLError('E_INPUT_TOO_LARGE', `Request body over ${MAX_BODY} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (cause) {
    throw new AppliedMLError('E_INPUT_INVALID', 'The body must be one JSON transaction.', { cause });
  }
}

/** POST /score a transaction → score, decision, reasons; GET / lists the latest alerts. */
export function createFraudServer(scorer: TransactionScorer, options: { maxAlerts?: number; synthetic?: boolean } = {}): Server {
  const alerts: Alert[] = [];
  const maxAlerts = options.maxAlerts ?? 200;
  return createServer((req, res) => {
    const send = (status: number, type: string, text: string): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(text);
    };
    void (async () => {
      try {
        if (req.method === 'POST' && req.url === '/score') {
          const tx = (await body(req)) as Parameters<TransactionScorer['score']>[0];
          const s: TransactionScore = await scorer.score(tx);
          if (s.isFraud) {
            alerts.unshift({
              at: new Date().toISOString(),
              card: tx.card,
              amount: tx.amount,
              score: s.score,
              reasons: s.reasons.map((r) => r.text),
            });
            alerts.length = Math.min(alerts.length, maxAlerts);
          }
          send(
            200,
            'application/json',
            JSON.stringify({ score: s.score, decision: s.isFraud ? 'alert' : 'pass', reasons: s.reasons, features: s.features }),
          );
        } else if (req.method === 'GET' && req.url === '/alerts') {
          send(200, 'application/json', JSON.stringify(alerts));
        } else if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
          const rows = alerts
            .map(
              (a) =>
                `<tr><td>${esc(a.at)}</td><td>${esc(a.card)}</td><td>${a.amount.toFixed(2)}</td><td>${a.score.toFixed(3)}</td><td>${a.reasons.map(esc).join('<br>')}</td></tr>`,
            )
            .join('');
          send(
            200,
            'text/html; charset=utf-8',
            `<!doctype html><html><head><meta charset="utf-8"><title>fraud alerts</title><meta http-equiv="refresh" content="5"></head><body style="font:14px system-ui">
<h1>Fraud alerts</h1>${options.synthetic ? '<p style="color:#a15c00">Model trained on SYNTHETIC transactions.</p>' : ''}
<p>POST a JSON transaction <code>{"card","amount","timestamp","merchant","country"}</code> to <code>/score</code>. Threshold ${scorer.threshold.toFixed(4)}.</p>
<table border="1" cellpadding="4"><tr><th>time</th><th>card</th><th>amount</th><th>score</th><th>reasons</th></tr>${rows}</table></body></html>`,
          );
        } else send(404, 'application/json', JSON.stringify({ code: 'E_NOT_FOUND', message: 'POST /score, GET /, GET /alerts' }));
      } catch (error) {
        const e = AppliedMLError.isInstance(error) ? error : new AppliedMLError('E_INTERNAL', (error as Error).message);
        send(httpStatusForCode(e.code), 'application/json', JSON.stringify(e.toJSON()));
      }
    })();
  });
}
