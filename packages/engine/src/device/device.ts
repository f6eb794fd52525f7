import { AppliedMLError, describeValue } from '../errors';

/** The devices a user can ask for. 'cpu' means native TensorFlow through @tensorflow/tfjs-node. */
export const DEVICES = ['auto', 'cuda', 'cpu', 'wasm', 'js'] as const;
export type Device = (typeof DEVICES)[number];
export type ConcreteDevice = Exclude<Device, 'auto'>;

/** The order `auto` tries, fastest first. */
export const AUTO_ORDER: readonly ConcreteDevice[] = ['cuda', 'cpu', 'wasm', 'js'];

export const DEVICE_DESCRIPTIONS: Record<ConcreteDevice, string> = {
  cuda: 'NVIDIA GPU through @tensorflow/tfjs-node-gpu (CUDA)',
  cpu: 'native CPU through @tensorflow/tfjs-node (libtensorflow)',
  wasm: 'WebAssembly (SIMD) through @tensorflow/tfjs-backend-wasm',
  js: 'pure JavaScript (the tfjs "cpu" backend)',
};

/** Whether `value` is a device name (`auto`, `cuda`, `cpu`, `wasm`, `js`), without throwing; `checkDevice` refuses one that is not. */
export function isDevice(value: unknown): value is Device {
  return typeof value === 'string' && (DEVICES as readonly string[]).includes(value);
}

/**
 * The one check of a device name wherever it comes from (an option, `APPLIEDML_DEVICE`, a CLI flag):
 * E_DEVICE_INVALID naming where it came from and listing the valid devices.
 */
export function checkDevice(value: unknown, source = 'device'): asserts value is Device {
  if (!isDevice(value))
    throw new AppliedMLError('E_DEVICE_INVALID', `${source} is ${describeValue(value)}. Valid devices: ${DEVICES.join(', ')}.`, {
      details: { requested: typeof value === 'string' ? value : describeValue(value), valid: [...DEVICES], source },
    });
}

/** One try of the chain: what was tried and why it was or was not taken. */
export interface DeviceAttempt {
  device: ConcreteDevice;
  ok: boolean;
  reason: string;
}

export interface DeviceInfo {
  /** What the user asked for. */
  requested: Device;
  /** What runs. */
  device: ConcreteDevice;
  /** The tfjs backend name behind it ('tensorflow', 'wasm', 'cpu'). */
  backend: string;
  description: string;
  /** Every device tried, in order, with the reason it was or was not taken. */
  attempts: DeviceAttempt[];
  /** Extra facts: SIMD, threads, tfjs version, GPU name, shims applied. */
  details: Record<string, string | number | boolean>;
}
