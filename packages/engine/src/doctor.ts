import type { Device, DeviceInfo } from './device/device';
import { AUTO_ORDER, DEVICE_DESCRIPTIONS } from './device/device';
import { initEngine } from './device/engine';
import { ENGINE_VERSION } from './version';

export interface DoctorReport {
  engineVersion: string;
  node: string;
  platform: string;
  info: DeviceInfo;
  advice: string[];
}

/**
 * Walk the device chain and explain the result: what runs, what did not and how to get it. Without a
 * device, the one the SDKs would use: APPLIEDML_DEVICE if set, else 'auto'.
 */
export async function doctor(device?: Device): Promise<DoctorReport> {
  const info = await initEngine({ device });
  const advice: string[] = [];
  const failed = new Map(info.attempts.filter((a) => !a.ok).map((a) => [a.device, a.reason]));
  if (failed.has('cuda')) {
    advice.push(
      'For an NVIDIA GPU: `npm install @tensorflow/tfjs-node-gpu` beside the SDK (Linux x64 with CUDA 11.2 and cuDNN 8.1, the versions its libtensorflow 2.9 is built for); `auto` then picks it.',
    );
  }
  if (failed.has('cpu')) {
    advice.push(
      'For native CPU speed: `npm install @tensorflow/tfjs-node` (its install script downloads libtensorflow, so the machine needs internet access during npm install).',
    );
  }
  if (info.device === 'js')
    advice.push('The pure-JS backend is 5–100× slower than wasm; check that @tensorflow/tfjs-backend-wasm is installed.');
  return { engineVersion: ENGINE_VERSION, node: process.versions.node, platform: `${process.platform}-${process.arch}`, info, advice };
}

/** The doctor report as text for a terminal. */
export function formatDoctor(report: DoctorReport): string {
  const { info } = report;
  const lines = [
    `appliedml doctor — @appliedml/engine ${report.engineVersion}, Node ${report.node}, ${report.platform}`,
    '',
    `device:  ${info.device} — ${info.description}`,
    `backend: ${info.backend} (requested: ${info.requested})`,
    '',
    'device chain:',
  ];
  const tried = new Map(info.attempts.map((a) => [a.device, a]));
  for (const device of AUTO_ORDER) {
    const a = tried.get(device);
    const mark = !a ? '·' : a.ok ? '✓' : '✗';
    const why = a
      ? a.reason
      : info.requested === 'auto'
        ? 'not tried (an earlier device was taken)'
        : `not tried (device '${info.requested}' was asked for)`;
    lines.push(`  ${mark} ${device.padEnd(5)} ${DEVICE_DESCRIPTIONS[device]}`);
    lines.push(`          ${why}`);
  }
  const details = Object.entries(info.details);
  if (details.length > 0) {
    lines.push('', 'details:');
    for (const [k, v] of details) lines.push(`  ${k}: ${String(v)}`);
  }
  if (report.advice.length > 0) {
    lines.push('', 'to go faster:');
    for (const a of report.advice) lines.push(`  - ${a}`);
  }
  return lines.join('\n');
}
