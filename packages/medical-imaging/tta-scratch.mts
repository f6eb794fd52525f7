import { initEngine, resolveDataset, shuffleIndices, meanDice, tf } from '@appliedml/engine';
import { ImageSegmenter, KVASIR_SEG_DATASET, kvasirIds, readKvasirSeg } from './src/index';
import { resizeGray } from './src/preprocess';
await initEngine();
const kv = await resolveDataset(KVASIR_SEG_DATASET);
const ids = await kvasirIds(kv.root);
const order = shuffleIndices(ids.length, 2026);
const split = process.argv[2] ?? 'val';
const val = await readKvasirSeg(kv.root, (split === 'val' ? order.slice(800, 900) : order.slice(900,1000)).map((i) => ids[i]!), 256);
const seg: any = await ImageSegmenter.load('/tmp/kvasir-run/best');
const size = seg.config.imageSize, ch = seg.config.channels;
const x = tf.tensor4d(seg.pack(val.images, seg.fitted), [val.images.length, size, size, ch]);
const run = (t: any) => { const p = seg.model.predict(t, { batchSize: 16 }); return p; };
const variants: Record<string, (t: any) => any> = {
  id: (t) => run(t),
  h: (t) => tf.reverse(run(tf.reverse(t, 2)), 2),
  v: (t) => tf.reverse(run(tf.reverse(t, 1)), 1),
  hv: (t) => tf.reverse(run(tf.reverse(t, [1, 2])), [1, 2]),
  t: (t) => tf.transpose(run(tf.transpose(t, [0, 2, 1, 3])), [0, 2, 1, 3]),
};
const probs: Record<string, Float32Array> = {};
for (const [k, f] of Object.entries(variants)) probs[k] = tf.tidy(() => f(x)).dataSync() as Float32Array;
const truth = val.masks.map((m: any) => Float32Array.from(m.data, (v: number) => (v > 0.5 ? 1 : 0)));
const pixels = size * size;
function score(p: Float32Array, thr: number) {
  const pred = val.masks.map((m: any, i: number) => {
    const full = resizeGray({ width: size, height: size, data: p.subarray(i * pixels, (i + 1) * pixels) }, m.width, m.height).data;
    return Float32Array.from(full, (v: number) => (v > thr ? 1 : 0));
  });
  return meanDice(truth, pred);
}
const avg = (keys: string[]) => { const o = new Float32Array(probs.id!.length); for (const k of keys) { const p = probs[k]!; for (let i = 0; i < o.length; i++) o[i] += p[i]! / keys.length; } return o; };

function components(mask: Float32Array, w: number, h: number) {
  const lab = new Int32Array(mask.length); const sizes: number[] = [0]; let next = 1;
  const st: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] && !lab[i]) {
    lab[i] = next; st.push(i); let c = 0;
    while (st.length) { const j = st.pop()!; c++; const r = (j / w) | 0, q = j % w;
      for (const [dr, dq] of [[1,0],[-1,0],[0,1],[0,-1]]) { const rr = r+dr, qq = q+dq; if (rr<0||qq<0||rr>=h||qq>=w) continue; const k = rr*w+qq; if (mask[k] && !lab[k]) { lab[k] = next; st.push(k); } } }
    sizes.push(c); next++;
  }
  return { lab, sizes };
}
function post(pred: Float32Array, w: number, h: number, mode: string, frac: number) {
  const { lab, sizes } = components(pred, w, h);
  if (sizes.length <= 2) return pred;
  const max = Math.max(...sizes);
  const keep = sizes.map((s) => mode === 'largest' ? s === max : s >= frac * max);
  return Float32Array.from(pred, (v, i) => (v && keep[lab[i]!] ? 1 : 0));
}
function score2(p: Float32Array, thr: number, mode: string, frac: number) {
  const pred = val.masks.map((m: any, i: number) => {
    const full = resizeGray({ width: size, height: size, data: p.subarray(i * pixels, (i + 1) * pixels) }, m.width, m.height).data;
    return post(Float32Array.from(full, (v: number) => (v > thr ? 1 : 0)), m.width, m.height, mode, frac);
  });
  return meanDice(truth, pred);
}
for (const [mode, frac] of [['largest', 1], ['rel', 0.1], ['rel', 0.25], ['rel', 0.5]] as const) console.log(split, mode, frac, [0.4,0.5,0.6].map((t) => `${t}:${score2(probs.id!, t, mode, frac).toFixed(4)}`).join(' '));
const combos: Record<string, string[]> = { none: ['id'], h: ['id', 'h'], hv4: ['id', 'h', 'v', 'hv'], all5: ['id', 'h', 'v', 'hv', 't'] };
for (const [name, keys] of Object.entries(combos)) {
  const p = avg(keys);
  console.log(split, name, [0.3, 0.4, 0.5, 0.6].map((t) => `${t}:${score(p, t).toFixed(4)}`).join(' '));
}
