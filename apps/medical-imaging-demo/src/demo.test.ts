import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDataset } from '@appliedml/engine';
import { DICOM_SAMPLES_DATASET } from '@appliedml/medical-imaging';
import { phantomClassification, phantomSegmentation } from './data';
import { PRESETS, type Preset } from './presets';
import { escapeHtml, htmlReport } from './report';
import { runClassifier, runSegmenter, type ClassifierRun, type SegmenterRun } from './run';
import type { Service } from '@appliedml/demo-kit';
import { createMedicalService, inProcess } from './server';

// The offline default: synthetic phantoms, small and fast. The quality of the real-data models is
// tested in packages/medical-imaging/test.
const tiny: Preset = {
  ...PRESETS.quick,
  classifierTrain: { epochs: 4, batchSize: 32 },
  segmenter: { imageSize: 32, filters: [8, 16, 32], flipAugment: false },
  segmenterTrain: { epochs: 4, batchSize: 16 },
};
let cls: ClassifierRun;
let seg: SegmenterRun;
let service: Service;
let base = '';

beforeAll(async () => {
  cls = await runClassifier(phantomClassification(28, 320), tiny, { progress: false, figures: 4 });
  seg = await runSegmenter(phantomSegmentation(32, 96), tiny, { progress: false, figures: 4 });
  // The models are disposed below, after the report test used them.
  service = await createMedicalService(inProcess({ classifier: cls.model, segmenter: seg.model, description: 'test' }, { dispose: false }));
  ({ url: base } = await service.listen());
});

afterAll(async () => {
  await service?.close();
  cls?.model.dispose();
  seg?.model.dispose();
});

describe('offline default: synthetic phantoms', () => {
  it('the classifier separates lesion from clear phantoms and explains with Grad-CAM', () => {
    console.info(`phantoms: ACC ${cls.metrics.accuracy.toFixed(3)} AUC ${cls.metrics.auc.toFixed(3)}; Dice ${seg.metrics.dice.toFixed(3)}`);
    expect(cls.metrics.accuracy).toBeGreaterThan(0.75);
    expect(cls.metrics.auc).toBeGreaterThan(0.85);
    expect(cls.figures).toHaveLength(4);
  });

  it('the segmenter finds the phantom lesions', () => {
    expect(seg.metrics.dice).toBeGreaterThan(0.6);
    expect(seg.figures).toHaveLength(4);
  });
});

describe('HTML report', () => {
  it('embeds overlays, flags synthetic data and escapes text', () => {
    const html = htmlReport({
      generated: 'now',
      classifier: { title: '<T>', note: 'n', synthetic: true, metrics: cls.metrics, trainSeconds: 1, published: [], figures: cls.figures },
      segmenter: { title: 'S', note: 'n', synthetic: true, metrics: seg.metrics, trainSeconds: 1, published: [], figures: seg.figures },
    });
    expect(html).toContain('&lt;T&gt;');
    expect(html).toContain('SYNTHETIC DATA');
    expect(html.match(/data:image\/png;base64,/g)).toHaveLength(8);
    expect(escapeHtml(`"a" & 'b'`)).toBe('&quot;a&quot; &amp; &#39;b&#39;');
  });
});

describe('serve', () => {
  it('serves the page and model info', async () => {
    expect(await (await fetch(`${base}/`)).text()).toContain('<input type="file"');
    expect(await (await fetch(`${base}/info`)).json()).toMatchObject({ labels: ['clear', 'lesion'], segmenter: true });
  });

  it('takes a DICOM upload: prediction, heatmap, mask and the DICOM tags (no identifiers)', async () => {
    const data = await resolveDataset(DICOM_SAMPLES_DATASET);
    const body = await readFile(join(data.root, 'CT_small.dcm'));
    const res = await fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'application/dicom' }, body });
    expect(res.status).toBe(200);
    const r = (await res.json()) as Record<string, any>;
    expect(r.format).toBe('dicom');
    expect(r.bitDepth).toBe(16);
    expect(['clear', 'lesion']).toContain(r.classification.label);
    expect(r.heatmapPng.length).toBeGreaterThan(100);
    expect(r.segmentation.overlayPng.length).toBeGreaterThan(100);
    expect(r.dicom.tags.map((t: { name: string }) => t.name)).toContain('Modality');
    expect(JSON.stringify(r.dicom)).not.toMatch(/Patient's Name|PatientName|Patient ID/);
  });

  it('answers bad uploads with typed errors and HTTP status: not an image 415, broken DICOM 400, bomb 413', async () => {
    const data = await resolveDataset(DICOM_SAMPLES_DATASET);
    const text = await fetch(`${base}/predict`, { method: 'POST', body: 'hello, not an image' });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ code: 'E_FORMAT_UNSUPPORTED' });
    const broken = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/dicom' },
      body: await readFile(join(data.root, 'MR_truncated.dcm')),
    });
    expect(broken.status).toBe(400);
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000186a0000186a00800000000', 'hex');
    const bomb = await fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
    expect(bomb.status).toBe(413);
  });
});
