import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppliedMLError, httpStatusForCode } from '@appliedml/engine';
import type { TextClassifier } from '@appliedml/text';

/** Largest request body accepted (the SDK's text cap applies inside it too). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>appliedml text</title>
<style>body{font-family:sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}textarea{width:100%;height:8rem}
.bar{background:#4a8;height:1rem;display:inline-block;vertical-align:middle}.pos{color:#185}.neg{color:#a22}</style></head>
<body><h1>appliedml text classifier</h1><p id="model"></p>
<textarea id="text" placeholder="Type a text and press Classify"></textarea><br><button id="go">Classify</button>
<div id="out"></div>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
fetch('/info').then((r) => r.json()).then((i) => { document.getElementById('model').textContent = 'Model: ' + i.model + ' — labels: ' + i.labels.join(', '); });
document.getElementById('go').onclick = async () => {
  const res = await fetch('/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: document.getElementById('text').value }) });
  const r = await res.json();
  if (!res.ok) { document.getElementById('out').innerHTML = '<p class="neg">' + esc(r.code + ': ' + r.message) + '</p>'; return; }
  const scores = Object.entries(r.scores).sort((a, b) => b[1] - a[1]).map(([l, p]) => '<div>' + esc(l) + ' <span class="bar" style="width:' + (p * 300) + 'px"></span> ' + (p * 100).toFixed(1) + ' %</div>').join('');
  const words = r.explanation.tokens.map((t) => '<span class="' + (t.weight > 0 ? 'pos' : 'neg') + '">' + esc(t.token) + ' (' + t.weight.toFixed(3) + ')</span>').join(', ');
  document.getElementById('out').innerHTML = '<h2>' + esc(r.label) + '</h2>' + scores + '<p>Words that pushed the decision: ' + words + '</p>';
};
</script></body></html>`;

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body) : String(body);
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new AppliedMLError('E_INPUT_TOO_LARGE', `The request body is over ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch (cause) {
    throw new AppliedMLError('E_INPUT_INVALID', 'The request body is not valid UTF-8.', { cause });
  }
}

/**
 * The demo service: GET / (a page), GET /info, POST /predict with {"text": "..."} →
 * {label, labels, scores, explanation}. Errors are JSON {code, message} with the engine's HTTP status.
 */
export function createTextServer(model: TextClassifier, info: { model: string }): Server {
  return createServer((req, res) => {
    void (async () => {
      try {
        if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) return send(res, 200, PAGE, 'text/html');
        if (req.method === 'GET' && req.url === '/info') return send(res, 200, { model: info.model, labels: model.labels });
        if (req.method === 'POST' && req.url === '/predict') {
          let body: unknown;
          try {
            body = JSON.parse(await readBody(req));
          } catch (cause) {
            if (AppliedMLError.isInstance(cause)) throw cause;
            throw new AppliedMLError('E_INPUT_INVALID', 'The body must be JSON: {"text": "..."}.', { cause });
          }
          const text = (body as { text?: unknown } | null)?.text;
          const explanation = await model.explain(text as string, { top: 8 });
          const { tokens, features, method, label, labels, scores } = explanation;
          return send(res, 200, { label, labels, scores, explanation: { method, tokens, ...(features ? { features } : {}) } });
        }
        send(res, 404, { code: 'NOT_FOUND', message: 'GET /, GET /info or POST /predict' });
      } catch (error) {
        if (AppliedMLError.isInstance(error)) return send(res, httpStatusForCode(error.code), { code: error.code, message: error.message });
        send(res, 500, { code: 'E_INTERNAL', message: 'Internal error.' });
      }
    })();
  });
}

export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
