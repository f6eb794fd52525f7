/**
 * `npm run bench -w @appliedml/traffic`: the full Los-loop run (all 207 sensors) under the T-GCN
 * protocol — baselines, the SDK's graph ridge, GRU and T-GCN-style graph model, forecast latency, and a PyTorch GRU
 * of the same size on the same windows (Debian python3-torch via /usr/bin/python3). Needs
 * APPLIEDML_DATA_DIR (default: ../shared/datasets beside the repository).
 * Env: TRAFFIC_BENCH_TGCN_EPOCHS (default 25), TRAFFIC_BENCH_GRU_EPOCHS (30), TRAFFIC_BENCH_TORCH=0 to skip the peer.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { engineInfo, initEngine } from '@appliedml/engine';
import { TrafficForecaster, type TrafficModelKind } from '../src/forecaster';
import { featureCount } from '../src/features';
import { scoreHorizon, type HorizonMetrics } from '../src/horizon-metrics';
import { loadLosLoop } from '../src/los-loop';
import { LOS_LOOP_PUBLISHED } from '../src/published';
import { fitScaler } from '../src/scaler';
import { sliceSeries, splitSeries } from '../src/series';
import { buildInputs, buildTargets, windowStarts } from '../src/windows';

interface Row {
  model: string;
  horizons: HorizonMetrics[];
  trainSeconds?: number;
  epochs?: string;
  forecastMs?: number;
}

const root = resolve(__dirname, '../../..');
const f3 = (v: number): string => v.toFixed(3);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  const dataDir = process.env.APPLIEDML_DATA_DIR ? resolve(root, process.env.APPLIEDML_DATA_DIR) : resolve(root, '../shared/datasets');
  const tgcnEpochs = Number(process.env.TRAFFIC_BENCH_TGCN_EPOCHS ?? 25);
  const gruEpochs = Number(process.env.TRAFFIC_BENCH_GRU_EPOCHS ?? 30);
  await initEngine();
  const { series, adjacency } = await loadLosLoop({ dataDir });
  const { train, testStart } = splitSeries(series, 0.8);
  const n = series.sensors.length;
  const T = 12;
  const rows: Row[] = [];
  const log = (s: string): void => void process.stdout.write(`${s}\n`);
  log(
    `Los-loop: ${series.steps} steps × ${n} sensors; train ${train.steps}, test ${series.steps - testStart}; ${engineInfo()?.device} backend; ${cpus().length} CPUs`,
  );

  const latency = async (model: TrafficForecaster): Promise<number> => {
    const values = Array.from({ length: T }, (_, k) => Array.from(series.values.subarray((testStart + k) * n, (testStart + k + 1) * n)));
    const end = series.start! + (testStart + T - 1) * 300_000;
    for (let i = 0; i < 5; i++) await model.predict({ values, end });
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await model.predict({ values, end });
      times.push(performance.now() - t0);
    }
    return median(times);
  };

  for (const kind of ['last-value', 'window-mean', 'historical-average', 'seasonal-naive'] as TrafficModelKind[]) {
    const m = TrafficForecaster.create({ model: kind });
    await m.train(train);
    rows.push({ model: kind, horizons: (await m.evaluate(series, { fromStep: testStart })).horizons });
    m.dispose();
  }
  {
    const m = TrafficForecaster.create({ model: 'ridge' });
    const report = await m.train(train, { adjacency });
    const ev = await m.evaluate(series, { fromStep: testStart });
    rows.push({
      model: 'ridge (SDK graph ridge)',
      horizons: ev.horizons,
      trainSeconds: report.seconds,
      epochs: '–',
      forecastMs: await latency(m),
    });
    log(`ridge: ${report.seconds.toFixed(1)} s, ${ev.horizons.map((h) => `${h.minutes}m ${f3(h.rmse)}/${f3(h.mae)}`).join('  ')}`);
    m.dispose();
  }
  const neural: { kind: TrafficModelKind; epochs: number; hidden: number }[] = [
    { kind: 'gru', epochs: gruEpochs, hidden: 64 },
    { kind: 'tgcn', epochs: tgcnEpochs, hidden: 32 },
  ];
  for (const { kind, epochs, hidden } of neural) {
    const m = TrafficForecaster.create({ model: kind, hiddenUnits: hidden, seed: 1 });
    const report = await m.train(train, {
      adjacency,
      epochs,
      batchSize: kind === 'tgcn' ? 16 : 32,
      patience: 8,
      progress: 'auto',
      onEpochEnd: (e) =>
        log(`  ${kind} epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)} val ${e.valLoss?.toFixed(4)} (${e.seconds.toFixed(1)} s)`),
    });
    const ev = await m.evaluate(series, { fromStep: testStart });
    rows.push({
      model: `${kind} (SDK, hidden ${hidden})`,
      horizons: ev.horizons,
      trainSeconds: report.seconds,
      epochs: `${report.epochsRun} (best ${report.bestEpoch + 1})`,
      forecastMs: await latency(m),
    });
    log(`${kind}: ${report.seconds.toFixed(0)} s, ${ev.horizons.map((h) => `${h.minutes}m ${f3(h.rmse)}/${f3(h.mae)}`).join('  ')}`);
    m.dispose();
  }

  let torchNote = 'skipped (TRAFFIC_BENCH_TORCH=0)';
  if (process.env.TRAFFIC_BENCH_TORCH !== '0') {
    const P = 12;
    const dir = join(tmpdir(), `traffic-bench-${process.pid}`);
    await mkdir(dir, { recursive: true });
    const fitSteps = train.steps - Math.floor(train.steps * 0.2);
    const scaler = fitScaler(sliceSeries(train, 0, fitSteps));
    const write = async (name: string, data: Float32Array): Promise<void> =>
      writeFile(join(dir, name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const trS = windowStarts(0, fitSteps, T, P);
    const vaS = windowStarts(fitSteps - T, train.steps, T, P);
    const teS = windowStarts(testStart, series.steps, T, 3);
    const tr = buildInputs(train, trS, T, scaler);
    const va = buildInputs(train, vaS, T, scaler);
    const te = buildInputs(series, teS, T, scaler);
    await write('x_train.f32', tr.x);
    await write('y_train.f32', buildTargets(train, trS, T, P, scaler, tr.last));
    await write('x_val.f32', va.x);
    await write('y_val.f32', buildTargets(train, vaS, T, P, scaler, va.last));
    await write('x_test.f32', te.x);
    for (const threads of [1, 2]) {
      const spec = {
        dir,
        inputSteps: T,
        sensors: n,
        features: featureCount(false),
        outputSteps: P,
        hidden: 64,
        epochs: gruEpochs,
        batchSize: 32,
        learningRate: 5e-3,
        patience: 8,
        seed: 1,
        threads,
      };
      const run = spawnSync('/usr/bin/python3', [join(root, 'tools/traffic-bench/torch_gru.py'), JSON.stringify(spec)], {
        encoding: 'utf8',
        env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
        maxBuffer: 1 << 24,
      });
      if (run.status !== 0) {
        torchNote = `failed: ${run.stderr.slice(-400)}`;
        break;
      }
      const out = JSON.parse(run.stdout.trim().split('\n').pop() as string) as {
        torch: string;
        epochsRun: number;
        trainSeconds: number;
        forecastMs: number;
        secondsPerEpoch: number;
      };
      const { readFile } = await import('node:fs/promises');
      const buf = await readFile(join(dir, 'torch_pred.f32'));
      const raw = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const pred = new Float64Array(raw.length);
      for (let w = 0; w < teS.length; w++)
        for (let p = 0; p < P; p++)
          for (let s = 0; s < n; s++) {
            const i = (w * P + p) * n + s;
            pred[i] = (te.last[w * n + s] as number) + (raw[i] as number) * (scaler.std[s] as number);
          }
      const targetStart = teS.map((s) => s + T);
      const horizons = [3, 6, 9, 12].map((h) =>
        scoreHorizon(pred, series.values, n, P, targetStart, h, series.steps - testStart - T - h, 5, 'cumulative'),
      );
      rows.push({
        model: `gru (PyTorch ${out.torch}, ${threads} thread${threads > 1 ? 's' : ''}, hidden 64)`,
        horizons,
        trainSeconds: out.trainSeconds,
        epochs: `${out.epochsRun}`,
        forecastMs: out.forecastMs,
      });
      torchNote = `PyTorch ${out.torch} (Debian python3-torch), OPENBLAS_NUM_THREADS=1`;
    }
  }

  const md: string[] = [];
  md.push(`| model | 15 min RMSE / MAE | 30 min | 45 min | 60 min | acc @15 | train s | epochs | forecast ms (207 sensors) |`);
  md.push('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    md.push(
      `| ${r.model} | ${r.horizons.map((h) => `${f3(h.rmse)} / ${f3(h.mae)}`).join(' | ')} | ${r.horizons[0]!.accuracy.toFixed(4)} | ${r.trainSeconds?.toFixed(0) ?? '–'} | ${r.epochs ?? '–'} | ${r.forecastMs?.toFixed(1) ?? '–'} |`,
    );
  }
  for (const name of ['T-GCN', 'GRU']) {
    const p = [15, 30, 45, 60].map((m) => LOS_LOOP_PUBLISHED.find((r) => r.model === name && r.minutes === m)!);
    md.push(
      `| ${name} paper${name === 'T-GCN' ? ' (15 min confirmed)' : ' (unconfirmed)'} | ${p.map((r) => `${r.rmse} / ${r.mae}${r.confirmed ? '' : '*'}`).join(' | ')} | ${p[0]!.accuracy} | – | – | – |`,
    );
  }
  log(`\n${md.join('\n')}\n\nPeer: ${torchNote}`);
  await mkdir(join(root, '.bench-out'), { recursive: true });
  await writeFile(
    join(root, '.bench-out', 'traffic.json'),
    JSON.stringify({ date: new Date().toISOString(), device: engineInfo(), rows, torchNote }, null, 2),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
