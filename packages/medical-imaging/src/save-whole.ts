// A model's save as one atomic swap that a dispose() meanwhile can still stop: the bundle is written
// into a hidden staging folder, `stillThere()` is asked once it is complete, and only then does the
// staging folder replace `dir` (a throw leaves `dir` as it was and removes the staging folder).
import { AppliedMLError, bundleMarker, replaceDirAtomic } from '@appliedml/engine';
import { MEDICAL_IMAGING_PACKAGE } from './version';

/**
 * `error` with the staging folder's path said as the folder saved to: a failure inside the staging
 * folder (a full disk) named `.<name>.tmp-…`, a folder the caller never gave and that is gone by then.
 */
export function namingTarget(error: unknown, staging: string, dir: string): unknown {
  if (!AppliedMLError.isInstance(error)) {
    // A system error (ENOSPC …) naming a file in the staging folder: as the swap would say it, for `dir`.
    const message = error instanceof Error ? error.message : undefined;
    if (message === undefined || !message.includes(staging)) return error;
    return new AppliedMLError('E_IO', `Could not write the bundle to ${dir}: ${message.split(staging).join(dir)}`, {
      cause: error,
      details: { dir },
    });
  }
  if (!JSON.stringify([error.message, error.details]).includes(staging)) return error;
  const swap = (value: unknown): unknown =>
    typeof value === 'string'
      ? value.split(staging).join(dir)
      : Array.isArray(value)
        ? value.map(swap)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swap(v)]))
          : value;
  return new AppliedMLError(error.code, swap(error.message) as string, {
    cause: error.cause ?? error,
    details: swap(error.details) as Record<string, unknown>,
  });
}

/** What `saveWhole` needs of a model. */
export interface SaveSource<S> {
  /** The class, for messages ('ImageClassifier'). */
  kind: string;
  /** The model's state to save, taken whole at once (its network, normalisation, labels …); throws when disposed. */
  take(): S;
  /** Writes `state` as a bundle into the empty folder `staging`. */
  write(staging: string, state: S): Promise<void>;
  /** True while `state` is still the model's (not replaced by a retrain). */
  current(state: S): boolean;
  isDisposed(): boolean;
}

/** Retrains a save starts again after (each replaced the network it was writing) before E_BUSY. */
const SAVE_RETRIES = 3;

/**
 * Save a model's bundle to `dir` in one atomic swap, as "Calls in flight" in docs/sdk-conventions.md
 * says: a dispose() meanwhile rejects with E_MODEL_DISPOSED and writes nothing (`dir` left as it was:
 * the bundle is written into a hidden staging folder and swapped in only once complete with the model
 * still there); a retrain that replaces the network meanwhile makes the save start again on the new
 * model, three times at most (then E_BUSY).
 */
export async function saveWhole<S>(dir: string, source: SaveSource<S>): Promise<void> {
  const disposed = (): AppliedMLError =>
    new AppliedMLError('E_MODEL_DISPOSED', `This ${source.kind} was disposed while it saved; nothing was written to ${dir}.`, {
      details: { dir },
    });
  await replaceDirAtomic(
    dir,
    async (staging) => {
      for (let attempt = 0; ; attempt++) {
        if (source.isDisposed()) throw disposed();
        const state = source.take();
        try {
          await source.write(staging, state);
        } catch (error) {
          if (source.isDisposed()) throw disposed();
          if (source.current(state)) throw namingTarget(error, staging, dir);
          if (attempt + 1 >= SAVE_RETRIES)
            throw new AppliedMLError(
              'E_BUSY',
              `This ${source.kind} was retrained ${SAVE_RETRIES} times while it saved; nothing was written to ${dir}. Save it again.`,
              { cause: error, details: { dir } },
            );
          continue;
        }
        if (source.isDisposed()) throw disposed();
        return;
      }
    },
    { marker: bundleMarker(MEDICAL_IMAGING_PACKAGE) },
  );
}
