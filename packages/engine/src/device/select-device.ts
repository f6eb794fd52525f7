import { AppliedMLError } from '../errors';
import type { Logger } from '../logger';
import { silentLogger } from '../logger';
import type { ConcreteDevice, Device, DeviceAttempt } from './device';
import { AUTO_ORDER, checkDevice } from './device';
import type { DeviceLoaders, LoadedBackend } from './loaders';

export interface DeviceSelection {
  requested: Device;
  device: ConcreteDevice;
  loaded: LoadedBackend;
  attempts: DeviceAttempt[];
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Walk the device chain. `auto` takes the first device whose loader succeeds and records why each
 * earlier one did not; an explicit device is taken or refused with E_DEVICE_UNAVAILABLE, naming the
 * devices that are available. Pure apart from the injected loaders, so it is unit-tested.
 */
export async function selectDevice(requested: unknown, loaders: DeviceLoaders, logger: Logger = silentLogger): Promise<DeviceSelection> {
  checkDevice(requested);
  const attempts: DeviceAttempt[] = [];
  const order: readonly ConcreteDevice[] = requested === 'auto' ? AUTO_ORDER : [requested];
  for (const device of order) {
    try {
      const loaded = await loaders[device]();
      attempts.push({ device, ok: true, reason: `selected (${loaded.backend} backend)` });
      return { requested, device, loaded, attempts };
    } catch (error) {
      const reason = reasonOf(error);
      attempts.push({ device, ok: false, reason });
      logger.debug(`device ${device} unavailable: ${reason}`);
    }
  }
  // Nothing in the order worked. For an explicit device, say which ones would have.
  const available: ConcreteDevice[] = [];
  if (requested !== 'auto') {
    for (const device of AUTO_ORDER) {
      if (device === requested) continue;
      try {
        await loaders[device]();
        available.push(device);
      } catch {
        // not available either
      }
    }
  }
  const why = attempts.map((a) => `${a.device}: ${a.reason}`).join('; ');
  throw new AppliedMLError(
    'E_DEVICE_UNAVAILABLE',
    requested === 'auto'
      ? `No device could be initialised (${why}).`
      : `Device '${requested}' is not available here (${why}). Available: ${available.length > 0 ? available.join(', ') : 'none'}; use 'auto' to pick the best one.`,
    { details: { requested, attempts, available } },
  );
}
