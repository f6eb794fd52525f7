// Load test of the demo services on the demo kit (not part of CI).
//
//   npx tsx --expose-gc --conditions=@appliedml/source tools/load-test.ts [--services text,traffic,fraud[,medical][,speech]]
//       [--duration 5] [--repeats 3] [--amount 10000] [--out docs/benchmarks/serving.md]
//
// Each service starts in this process on loopback with a small model trained on the spot; autocannon
// fires from one worker thread (so the client does not share the server's event loop) at 1, 8 and
// 64 concurrent connections for `--duration` seconds, `--repeats` times; the report quotes the median
// run of each. Then 10,000 requests at 8 connections with the heap and RSS measured before and after
// (after a forced GC when node runs with --expose-gc): memory must stay flat within the tolerance.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { AppliedMLError } from '@appliedml/engine';
import { generateTransactions, TransactionScorer } from '@appliedml/fraud';
import { TextClassifier } from '@appliedml/text';
import { splitSeries, TrafficForecaster } from '@appliedml/traffic';
import type { Service } from '@appliedml/demo-kit';
import { createFraudService } from '../apps/fraud-demo/src/server';
import { createMedicalService, inProcess } from '../apps/medical-imaging-demo/src/server';
import { phantomPng, quickClassifier } from '../apps/medical-imaging-demo/src/test-model';
import { createSpeechService, inProcess as speechInProcess } from '../apps/speech-demo/src/server';
import { quickRecognizer, spokenWav } from '../apps/speech-demo/src/test-model';
import { loadSpamAssassin } from '../apps/text-demo/src/data';
import { createTextService, textWorkerPool } from '../apps/text-demo/src/server';
import { loadDemoData } from '../apps/traffic-demo/src/data';
import { createLiveFeed, createTrafficService } from '../apps/traffic-demo/src/server';

/** Heap (after GC) may grow at most this much over 10,000 requests, RSS at most RSS_TOLERANCE_MB. */
const HEAP_TOLERANCE_MB = 16;
const RSS_TOLERANCE_MB = 64;
const CONCURRENCY = [1, 8, 64];

interface Target {
  name: string;
  what: string;
  request: string;
  service: Service;
  requests: autocannon.Request[];
  /** 0: autocannon in the server's thread (a binary body does not survive the copy to a worker thread). Default 1. */
  workers?: 0 | 1;
  cleanup?: () => Promise<void>;
}

const json = { 'content-type': 'application/json' };

async function textTarget(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'load-text-'));
  const split = loadSpamAssassin(400);
  const model = TextClassifier.create({ features: { charNgrams: false }, linear: { epochs: 6 } });
  await model.train(split.train);
  await model.save(join(dir, 'bundle'));
  model.dispose();
  const inference = await textWorkerPool(join(dir, 'bundle'), { threads: 1 });
  const service = await createTextService(inference, { model: inference.model });
  const texts = split.test.slice(0, 20).map((e) => e.text.slice(0, 600));
  return {
    name: 'text',
    what: 'linear spam filter (400 SpamAssassin mails), explained, in 1 worker thread (`textWorkerPool`)',
    request: 'POST /predict {"text": …} (20 test mails, ≤ 600 characters each, in turn)',
    service,
    requests: texts.map((text) => ({ method: 'POST', path: '/predict', headers: json, body: JSON.stringify({ text }) })),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function trafficTarget(): Promise<Target> {
  const data = await loadDemoData('synthetic', 24, {});
  const { train, testStart } = splitSeries(data.series, 0.8);
  const model = TrafficForecaster.create({ model: 'historical-average' });
  await model.train(train);
  // The feed ticks every second during the test, as in `traffic-demo serve`.
  const feed = createLiveFeed(model, data, testStart, { tickMs: 1000 });
  for (let k = 0; k < 20; k++) await feed.advance();
  const service = await createTrafficService(feed, data, { onClose: () => model.dispose() });
  return {
    name: 'traffic',
    what: 'historical-average forecaster on the synthetic 24-sensor network, live feed ticking every second',
    request: 'GET /api/forecast?sensor=… (the 24 sensors in turn; the forecast itself runs once per tick)',
    service,
    requests: data.series.sensors.map((s) => ({ method: 'GET', path: `/api/forecast?sensor=${encodeURIComponent(s)}` })),
  };
}

async function fraudTarget(): Promise<Target> {
  const txs = generateTransactions({ cards: 600, days: 30, seed: 7 });
  const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
  await scorer.train(txs);
  const service = await createFraudService(scorer, { synthetic: true, onClose: () => scorer.dispose() });
  const cards = [...new Set(txs.map((t) => t.card))].slice(0, 50);
  const start = Number(txs[txs.length - 1]!.timestamp);
  return {
    name: 'fraud',
    what: 'ECOD transaction scorer on the synthetic card stream (600 cards, 30 days), in the service process',
    request: 'POST /score {card, amount, timestamp, merchant, country} (50 cards in turn)',
    service,
    requests: cards.map((card, i) => ({
      method: 'POST',
      path: '/score',
      headers: json,
      body: JSON.stringify({ card, amount: 10 + ((i * 37) % 300), timestamp: start + i * 60_000, merchant: `m${i % 7}`, country: 'US' }),
    })),
  };
}

async function medicalTarget(): Promise<Target> {
  const classifier = await quickClassifier();
  const service = await createMedicalService(inProcess({ classifier, description: 'phantom classifier (SYNTHETIC)' }));
  const files = await Promise.all([phantomPng(true, 64, 1), phantomPng(false, 64, 2), phantomPng(true, 128, 3), phantomPng(false, 128, 4)]);
  return {
    name: 'medical',
    what: 'small CNN on SYNTHETIC 28 × 28 chest phantoms with Grad-CAM, in the service process; autocannon runs in the same thread (PNG bodies do not survive the copy to its worker)',
    request: 'POST /predict with a PNG body (4 phantoms, 64 and 128 px, in turn): label, Grad-CAM overlay and the image as PNG',
    service,
    workers: 0,
    requests: files.map((png) => ({ method: 'POST', path: '/predict', headers: { 'content-type': 'image/png' }, body: Buffer.from(png) })),
  };
}

async function speechTarget(): Promise<Target> {
  const model = await quickRecognizer();
  const service = await createSpeechService(speechInProcess(model));
  const files = [spokenWav('zero', 'm1'), spokenWav('four', 'f2', 60), spokenWav('seven', 'm3', 40), spokenWav('nine', 'f3')];
  return {
    name: 'speech',
    what: 'small CNN on SYNTHETIC spoken digits (mespeak), in the service process; autocannon runs in the same thread (WAV bodies do not survive the copy to its worker)',
    request: 'POST /recognize with a WAV body (4 spoken digits, 22,050 Hz, in turn): word, scores and the MFCC picture as PNG',
    service,
    workers: 0,
    requests: files.map((wav) => ({
      method: 'POST',
      path: '/recognize',
      headers: { 'content-type': 'audio/wav' },
      body: Buffer.from(wav),
    })),
  };
}

const TARGETS: Record<string, () => Promise<Target>> = {
  text: textTarget,
  traffic: trafficTarget,
  fraud: fraudTarget,
  medical: medicalTarget,
  speech: speechTarget,
};

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  total: number;
}

async function fire(
  url: string,
  requests: autocannon.Request[],
  options: { connections: number; duration?: number; amount?: number; workers?: 0 | 1 },
) {
  const result = await autocannon({
    url,
    requests,
    connections: options.connections,
    ...(options.workers === 0 ? {} : { workers: 1 }),
    timeout: 30,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 5 }),
  });
  const errors = result.errors + result.timeouts + result.non2xx + result.mismatches;
  const total = Object.values(result.statusCodeStats ?? {}).reduce((a, s) => a + Number(s.count), 0);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors, total };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const mb = (bytes: number): number => bytes / 1024 / 1024;
function memory(): { rss: number; heap: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: mb(m.rss), heap: mb(m.heapUsed) };
}

interface ServiceResult {
  target: Pick<Target, 'name' | 'what' | 'request'>;
  runs: Map<number, Run[]>;
  memory: {
    before: { rss: number; heap: number };
    after: { rss: number; heap: number };
    requests: number;
    errors: number;
    seconds: number;
  };
}

async function measure(make: () => Promise<Target>, duration: number, repeats: number, amount: number): Promise<ServiceResult> {
  const target = await make();
  const { url } = await target.service.listen();
  try {
    const workers = target.workers ?? 1;
    await fire(url, target.requests, { connections: 8, duration: 2, workers }); // warm-up
    const runs = new Map<number, Run[]>();
    for (const connections of CONCURRENCY) {
      const list: Run[] = [];
      for (let r = 0; r < repeats; r++) {
        list.push(await fire(url, target.requests, { connections, duration, workers }));
        process.stderr.write('.');
      }
      runs.set(connections, list);
    }
    const before = memory();
    const t0 = performance.now();
    const mem = await fire(url, target.requests, { connections: 8, amount, workers });
    const seconds = (performance.now() - t0) / 1000;
    const after = memory();
    process.stderr.write(` ${target.name} done\n`);
    return {
      target: { name: target.name, what: target.what, request: target.request },
      runs,
      memory: { before, after, requests: mem.total, errors: mem.errors, seconds },
    };
  } finally {
    await target.service.close();
    await target.cleanup?.();
  }
}

function report(results: ServiceResult[], command: string, duration: number, repeats: number, amount: number): string {
  const f = (v: number, d = 0): string => v.toFixed(d);
  // autocannon records latency in whole milliseconds.
  const ms = (v: number): string => (v < 1 ? '< 1' : v.toFixed(0));
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '# Serving benchmarks: the demo services on the demo kit',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${availableParallelism()} cores (${cpu}), busy with other work, Node ${process.version}. Not part of CI.`,
    '',
    '```sh',
    command,
    '```',
    '',
    'Each service runs in the load-test process on loopback (`createService` from `@appliedml/demo-kit`, the same code as',
    "the demos' `serve` commands) with a small model trained on the spot. autocannon fires from one worker thread, so the",
    'client has its own event loop but shares the 2 cores with the server: on a dedicated machine the numbers are higher.',
    `Each concurrency runs ${duration} s, ${repeats} times; the table quotes the median of the runs (requests/s is the mean rate of a run;`,
    'p50 and p99 are its latency percentiles, in whole milliseconds as autocannon records them). Errors are connection errors, timeouts and non-2xx answers, summed over all runs.',
    'The machine runs other work at the same time: the slowest and fastest runs show how much a number moves; compare medians only.',
    '',
    '| service | clients | requests/s | requests/s, slowest – fastest run | p50 latency (ms) | p99 latency (ms) | errors |',
    '| ------- | ------: | ---------: | --------------------------------: | ---------------: | ---------------: | -----: |',
  ];
  for (const r of results)
    for (const [connections, runs] of r.runs)
      lines.push(
        `| ${r.target.name} | ${connections} | ${f(median(runs.map((x) => x.rps)))} | ${f(Math.min(...runs.map((x) => x.rps)))} – ${f(Math.max(...runs.map((x) => x.rps)))} | ${ms(median(runs.map((x) => x.p50)))} | ${ms(median(runs.map((x) => x.p99)))} | ${runs.reduce((a, x) => a + x.errors, 0)} |`,
      );
  lines.push(
    '',
    `## Memory over ${amount.toLocaleString('en-US')} requests`,
    '',
    `8 clients, after the runs above; the main thread's heap (the server) and the whole process's RSS (with the text worker and the client worker), after a forced GC, before and after.`,
    `Flat means the heap grew less than ${HEAP_TOLERANCE_MB} MB and RSS less than ${RSS_TOLERANCE_MB} MB.`,
    '',
    '| service | requests | errors | seconds | heap before → after (MB) | RSS before → after (MB) | flat |',
    '| ------- | -------: | -----: | ------: | ------------------------ | ----------------------- | ---- |',
  );
  for (const r of results) {
    const m = r.memory;
    const flat = m.after.heap - m.before.heap < HEAP_TOLERANCE_MB && m.after.rss - m.before.rss < RSS_TOLERANCE_MB;
    lines.push(
      `| ${r.target.name} | ${m.requests} | ${m.errors} | ${f(m.seconds, 1)} | ${f(m.before.heap, 1)} → ${f(m.after.heap, 1)} | ${f(m.before.rss, 1)} → ${f(m.after.rss, 1)} | ${flat ? 'yes' : 'NO'} |`,
    );
  }
  lines.push('', '## What was served', '');
  for (const r of results) lines.push(`- **${r.target.name}**: ${r.target.what}; ${r.target.request}.`);
  lines.push(
    '',
    'The per-service vitest checks (`service.test.ts` in apps/traffic-demo and apps/fraud-demo) fire 500 requests at 8 clients',
    'in a few seconds and assert zero errors and bounded memory growth on every run; this page is the longer measurement.',
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      services: { type: 'string', default: 'text,traffic,fraud' },
      duration: { type: 'string', default: '5' },
      repeats: { type: 'string', default: '3' },
      amount: { type: 'string', default: '10000' },
      out: { type: 'string', default: 'docs/benchmarks/serving.md' },
    },
  });
  const names = values.services.split(',').map((s) => s.trim());
  for (const n of names)
    if (!TARGETS[n]) throw new AppliedMLError('E_INPUT_INVALID', `--services takes ${Object.keys(TARGETS).join(', ')}.`);
  const duration = Number(values.duration);
  const repeats = Number(values.repeats);
  const amount = Number(values.amount);
  if (![duration, repeats, amount].every((v) => Number.isInteger(v) && v > 0))
    throw new AppliedMLError('E_INPUT_INVALID', '--duration, --repeats and --amount are whole numbers > 0.');
  if (!(globalThis as { gc?: unknown }).gc) process.stderr.write('note: run node with --expose-gc for memory after a forced GC\n');
  const results: ServiceResult[] = [];
  for (const n of names) results.push(await measure(TARGETS[n]!, duration, repeats, amount));
  const command = `npx tsx --expose-gc --conditions=@appliedml/source tools/load-test.ts --services ${names.join(',')} --duration ${duration} --repeats ${repeats} --amount ${amount}`;
  const text = report(results, command, duration, repeats, amount);
  const out = resolve(values.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, text);
  process.stdout.write(`${text}\nwritten to ${out}\n`);
  const bad = results.filter(
    (r) =>
      [...r.runs.values()].flat().some((x) => x.errors > 0) ||
      r.memory.errors > 0 ||
      r.memory.after.heap - r.memory.before.heap >= HEAP_TOLERANCE_MB ||
      r.memory.after.rss - r.memory.before.rss >= RSS_TOLERANCE_MB,
  );
  if (bad.length > 0) {
    process.stderr.write(`errors or memory growth in: ${bad.map((r) => r.target.name).join(', ')}\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${AppliedMLError.isInstance(error) ? `${error.code}: ${error.message}` : String(error)}\n`);
  process.exitCode = 1;
});
