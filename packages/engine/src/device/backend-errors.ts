import { AppliedMLError } from '../errors';

/**
 * Turn a crash inside the WebAssembly backend into a typed error. tfjs does not check wasm's malloc:
 * past the heap limit (4 GB for wasm32) an op fails with a WebAssembly RuntimeError ("memory access
 * out of bounds", "table index is out of bounds") or silently overwrites memory. Other errors pass
 * through unchanged.
 */
export function fromBackendError(error: unknown, during: string): unknown {
  if (AppliedMLError.isInstance(error)) return error;
  // WebAssembly.RuntimeError (its name is all the Node typings let us check without the DOM lib).
  if (error instanceof Error && error.name === 'RuntimeError') {
    return new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `The WebAssembly backend failed during ${during} (${error.message}), most likely out of memory: its heap is capped at 4 GB. ` +
        'Use smaller batches, a smaller model or fewer rows at once, and restart the process: the backend may be unusable after this.',
      { cause: error, details: { during } },
    );
  }
  return error;
}
