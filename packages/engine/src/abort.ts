import { AppliedMLError, describeValue } from './errors';

// Cancelling long work (training, large batches) with an `AbortSignal`, the way `fetch` and Node's own
// APIs take one: `train(data, { signal: AbortSignal.timeout(60_000) })`. The work is synchronous
// between the event-loop turns it takes (`eventLoopTurns`), so an abort is seen at the next turn point
// (every ~50 ms of work) and the call rejects with `E_ABORTED`, its `cause` the signal's reason.

/** `signal` as an option: undefined, or an AbortSignal (anything else is E_INPUT_INVALID naming `field`). */
export function checkSignalOption(value: unknown, field = 'signal'): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!isAbortSignal(value))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${field} must be an AbortSignal (from an AbortController, or AbortSignal.timeout(ms)); got ${describeValue(value)}.`,
      { details: { field } },
    );
  return value;
}

/** Throws `abortedError` when `signal` has been aborted; one property read otherwise. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortedError(signal, what);
}

/** The E_ABORTED a call rejects with when its signal aborts (`what` names the call, e.g. 'TextClassifier.train'). */
export function abortedError(signal: AbortSignal, what: string): AppliedMLError {
  // A look-alike signal whose `reason` getter throws: no reason, rather than an untyped error.
  let reason: unknown;
  try {
    reason = signal.reason;
  } catch {
    reason = undefined;
  }
  const timedOut = isNamed(reason, 'TimeoutError');
  const text = timedOut
    ? 'its signal timed out'
    : reason === undefined || isNamed(reason, 'AbortError')
      ? 'its signal was aborted'
      : `its signal was aborted: ${reasonText(reason)}`;
  // A reason that ends its own sentence ('Server is shutting down.') gets no second full stop.
  return new AppliedMLError('E_ABORTED', `${what} stopped: ${text}${/[.!?]$/.test(text) ? '' : '.'}`, {
    cause: reason,
    details: { reason: timedOut ? 'timeout' : 'aborted' },
  });
}

/** An AbortSignal, also one made by another realm (checked by shape, as undici does). */
function isAbortSignal(value: unknown): value is AbortSignal {
  if (value instanceof AbortSignal) return true;
  if (typeof value !== 'object' || value === null) return false;
  try {
    const v = value as Partial<AbortSignal>;
    return typeof v.aborted === 'boolean' && typeof v.addEventListener === 'function' && typeof v.removeEventListener === 'function';
  } catch {
    return false;
  }
}

function isNamed(value: unknown, name: string): boolean {
  try {
    return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === name;
  } catch {
    return false;
  }
}

function reasonText(reason: unknown): string {
  if (typeof reason === 'string') return reason.slice(0, 200).trim();
  // An Error, also one made in another realm (node:vm) or a look-alike: its message.
  try {
    const message = typeof reason === 'object' && reason !== null ? (reason as { message?: unknown }).message : undefined;
    if (typeof message === 'string' && message.trim() !== '') return message.slice(0, 200).trim();
  } catch {
    // a throwing getter: described below
  }
  return describeValue(reason);
}
