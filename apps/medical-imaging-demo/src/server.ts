import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppliedMLError, httpStatusForCode } from '@appliedml/engine';
import {
  grayToPng,
  heatmapOverlayPng,
  maskOverlayPng,
  readMedicalImage,
  type ImageClassifier,
  type ImageSegmenter,
} from '@appliedml/medical-imaging';

/** Largest upload accepted (DICOM files can be large; the readers' pixel limit applies inside). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Pixel limit for uploads: 8,192 × 8,192. */
export const MAX_UPLOAD_PIXELS = 8192 * 8192;

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>appliedml medical imaging</title>
<style>body{font-family:sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}img{width:18rem;image-rendering:pixelated;margin-right:.5rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}.err{color:#a22}.note{color:#666}</style></head>
<body><h1>appliedml medical imaging</h1><p id="model"></p><p class="note">Not a medical device. Files are processed in memory and never stored.</p>
<input type="file" id="file"> <button id="go">Analyse</button><div id="out"></div>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
fetch('/info').then((r) => r.json()).then((i) => { document.getElementById('model').textContent = i.description; });
document.getElementById('go').onclick = async () => {
  const f = document.getElementById('file').files[0]; if (!f) return;
  const res = await fetch('/predict', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: await f.arrayBuffer() });
  const r = await res.json();
  if (!res.ok) { document.getElementById('out').innerHTML = '<p class="err">' + esc(r.code + ': ' + r.message) + '</p>'; return; }
  let html = '<p>' + esc(r.format.toUpperCase()) + ', ' + r.width + ' × ' + r.height + ', ' + r.bitDepth + '-bit</p>';
  if (r.classification) html += '<h2>' + esc(r.classification.label) + ' (' + (r.classification.score * 100).toFixed(1) + ' %)</h2><p>' +
    Object.entries(r.classification.probabilities).map(([l, p]) => esc(l) + ' ' + (p * 100).toFixed(1) + ' %').join(' · ') + '</p>';
  html += '<div><img src="data:image/png;base64,' + r.imagePng + '" alt="image">';
  if (r.heatmapPng) html += '<img src="data:image/png;base64,' + r.heatmapPng + '" alt="Grad-CAM">';
  if (r.segmentation) html += '<img src="data:image/png;base64,' + r.segmentation.overlayPng + '" alt="mask">';
  html += '</div>';
  if (r.segmentation) html += '<p>Predicted lesion area: ' + (r.segmentation.area * 100).toFixed(1) + ' % of the image</p>';
  if (r.dicom) html += '<h3>DICOM tags (' + r.dicom.frames + ' frame(s); identifying tags are never read)</h3><table>' +
    r.dicom.tags.map((t) => '<tr><td>' + esc(t.tag) + '</td><td>' + esc(t.name) + '</td><td>' + esc(t.value) + '</td></tr>').join('') + '</table>';
  document.getElementById('out').innerHTML = html;
};
</script></body></html>`;

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body) : String(body);
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new AppliedMLError('E_INPUT_TOO_LARGE', `The upload is over ${MAX_BODY_BYTES} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new AppliedMLError('E_INPUT_TOO_LARGE', `The upload is over ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export interface ServerModels {
  classifier?: ImageClassifier;
  segmenter?: ImageSegmenter;
  description: string;
}

/**
 * GET / (upload page), GET /info, POST /predict with the raw file (DICOM, PNG, JPEG, TIFF) →
 * {format, width, height, bitDepth, imagePng, classification?, heatmapPng?, segmentation?, dicom?}.
 * Errors are JSON {code, message} with the engine's HTTP status. Nothing is written to disk or logged.
 */
export function createMedicalServer(models: ServerModels): Server {
  return createServer((req, res) => {
    void (async () => {
      try {
        if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) return send(res, 200, PAGE, 'text/html');
        if (req.method === 'GET' && req.url === '/info')
          return send(res, 200, {
            description: models.description,
            labels: models.classifier?.labels ?? [],
            segmenter: Boolean(models.segmenter),
          });
        if (req.method === 'POST' && req.url === '/predict') {
          const bytes = await readBody(req);
          const read = await readMedicalImage(bytes, { maxPixels: MAX_UPLOAD_PIXELS });
          const image = read.image;
          const width = Math.min(512, Math.max(256, image.width));
          const out: Record<string, unknown> = {
            format: read.format,
            width: image.width,
            height: image.height,
            bitDepth: read.bitDepth,
            imagePng: b64(await grayToPng(image, { width })),
          };
          if (models.classifier) {
            const p = await models.classifier.predict(image, { explain: true });
            out.classification = { label: p.label, score: p.score, probabilities: p.probabilities };
            if (p.heatmap) out.heatmapPng = b64(await heatmapOverlayPng(image, p.heatmap, { width }));
          }
          if (models.segmenter) {
            const s = await models.segmenter.predict(image);
            out.segmentation = { area: s.area, overlayPng: b64(await maskOverlayPng(image, s.mask, { width })) };
          }
          if (read.dicom) out.dicom = { tags: read.dicom.tags, frames: read.dicom.frames, modality: read.dicom.metadata.modality ?? null };
          return send(res, 200, out);
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
