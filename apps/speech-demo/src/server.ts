import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppliedMLError, httpStatusForCode } from '@appliedml/engine';
import type { SpeechRecognizer } from '@appliedml/speech';
import { featurePictures, pngDataUrl } from './pictures';

/** Largest upload accepted: about a minute of 16-bit 44.1 kHz stereo. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>appliedml speech</title>
<style>body{font-family:sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}.bar{background:#4a8;height:1rem;display:inline-block;vertical-align:middle}
.err{color:#a22}img{image-rendering:pixelated;max-width:100%}</style></head>
<body><h1>appliedml spoken-word recogniser</h1><p id="model"></p>
<p>Upload a WAV file (PCM or float, any rate, mono or stereo) of one spoken word.</p>
<input type="file" id="file" accept=".wav,audio/wav"> <button id="go">Recognise</button>
<div id="out"></div>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
fetch('/info').then((r) => r.json()).then((i) => { document.getElementById('model').textContent = 'Labels: ' + i.labels.join(', ') + ' — ' + i.sampleRate + ' Hz model'; });
document.getElementById('go').onclick = async () => {
  const f = document.getElementById('file').files[0];
  if (!f) return;
  const res = await fetch('/recognize', { method: 'POST', headers: { 'content-type': 'audio/wav' }, body: await f.arrayBuffer() });
  const r = await res.json();
  if (!res.ok) { document.getElementById('out').innerHTML = '<p class="err">' + esc(r.code + ': ' + r.message) + '</p>'; return; }
  const scores = Object.entries(r.scores).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([l, p]) => '<div>' + esc(l) + ' <span class="bar" style="width:' + (p * 300) + 'px"></span> ' + (p * 100).toFixed(1) + ' %</div>').join('');
  document.getElementById('out').innerHTML = '<h2>' + esc(r.label) + '</h2>' + scores + '<p>speech ' + r.speech.startSeconds.toFixed(2) + '–' + r.speech.endSeconds.toFixed(2) + ' s, ' + r.timing.totalMs.toFixed(1) + ' ms</p><h3>MFCC</h3><img src="' + r.mfccPng + '">';
};
</script></body></html>`;

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body) : String(body);
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_UPLOAD_BYTES) throw new AppliedMLError('E_INPUT_TOO_LARGE', `The upload is over ${MAX_UPLOAD_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The demo service: GET / (an upload page), GET /info, POST /recognize with the WAV bytes as the body →
 * {label, score, scores, speech, timing, mfccPng (a data URL)}; POST /sequence → the words of a digit
 * string. Errors are JSON {code, message} with the engine's HTTP status.
 */
export function createSpeechServer(model: SpeechRecognizer): Server {
  return createServer((req, res) => {
    void (async () => {
      try {
        if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) return send(res, 200, PAGE, 'text/html');
        if (req.method === 'GET' && req.url === '/info') return send(res, 200, { labels: model.labels, sampleRate: model.sampleRate });
        if (req.method === 'POST' && (req.url === '/recognize' || req.url === '/sequence')) {
          const body = await readBody(req);
          if (req.url === '/sequence') return send(res, 200, await model.recognizeSequence(body));
          const r = await model.recognize(body);
          const pictures = await featurePictures(body, model.sampleRate);
          return send(res, 200, { ...r, mfccPng: pngDataUrl(pictures.mfcc) });
        }
        return send(res, 404, { code: 'E_NOT_FOUND', message: `No route ${req.method} ${req.url}` });
      } catch (error) {
        if (AppliedMLError.isInstance(error)) return send(res, httpStatusForCode(error.code), error.toJSON());
        return send(res, 500, { code: 'E_INTERNAL', message: (error as Error).message });
      }
    })();
  });
}

export async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}
