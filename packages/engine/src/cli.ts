#!/usr/bin/env node
import type { Device } from './device/device';
import { isDevice } from './device/device';
import { DEVICES } from './device/device';
import { doctor, formatDoctor } from './doctor';
import { AppliedMLError } from './errors';

const USAGE = `usage: appliedml doctor [--device ${DEVICES.join('|')}] [--json]

  doctor   walk the device chain (CUDA → native CPU → wasm → JS) and report what runs and why
           (without --device: APPLIEDML_DEVICE if set, else auto, as the SDKs choose)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 1 : 0;
  }
  if (command !== 'doctor') {
    process.stderr.write(`appliedml: unknown command '${command}'\n${USAGE}\n`);
    return 2;
  }
  // Without --device, what the SDKs would use: APPLIEDML_DEVICE if set, else auto.
  let device: string | undefined;
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--json') json = true;
    else if (arg === '--device') device = rest[++i] ?? '';
    else if (arg?.startsWith('--device=')) device = arg.slice('--device='.length);
    else {
      process.stderr.write(`appliedml doctor: unknown option '${arg}'\n${USAGE}\n`);
      return 2;
    }
  }
  if (device !== undefined && !isDevice(device)) {
    process.stderr.write(`appliedml doctor: unknown device '${device}'. Valid devices: ${DEVICES.join(', ')}\n`);
    return 2;
  }
  try {
    const report = await doctor(device as Device | undefined);
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
    return 0;
  } catch (error) {
    if (AppliedMLError.isInstance(error)) {
      process.stderr.write(`appliedml doctor: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`appliedml: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
