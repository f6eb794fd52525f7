// Why the wasm backend did not start. tfjs swallows the reason (setBackend answers false; its warning is
// silenced in prod mode), and the backend rejects with advice only: the cause, typically the glue not
// finding its .wasm file in a bundled service, is printed by the glue through console.warn. These
// helpers catch those lines while the backend starts and turn them into an error that says why and how.
import { AppliedMLError } from '../errors';

export interface GlueWarnings {
  /** The lines the glue printed while capturing, in order. */
  readonly lines: string[];
  /** Put console.warn back; later glue output goes to the console as before. */
  stop(): void;
}

/**
 * The starts of the lines the emscripten glue of tfjs-backend-wasm prints through console.warn (its
 * `err`, always one string): an abort, a failed or fallen-back compile, thread set-up and worker trouble.
 */
const GLUE_LINE =
  /^(?:Aborted\(|failed to asynchronously prepare wasm: |falling back to ArrayBuffer instantiation|wasm streaming compile failed: |both async and sync fetching of the wasm failed|Module\.instantiateWasm callback failed with error: |exiting due to exception: |Current environment does not support SharedArrayBuffer|\(on node you may need: --experimental-wasm|requested a shared WebAssembly\.Memory|warning: Blocking on the main thread|Thread \d+: |worker sent |Internal error! Worker sent |worker\.js received unknown command)/;

/** Whether a console.warn call looks like the wasm glue's (one string, starting as the glue's lines do). */
export function isGlueLine(args: readonly unknown[]): boolean {
  return args.length === 1 && typeof args[0] === 'string' && GLUE_LINE.test(args[0]);
}

/**
 * Capture the wasm glue's console.warn lines while the wasm backend starts. The glue binds console.warn
 * when its module is created (`console.warn.bind(console)`), so the function it keeps is this one: after
 * `stop` it passes everything on to the console.warn from before the start (not to whatever console.warn
 * is then: a wrapper installed meanwhile calls this one, and they would call each other for ever). console.warn is the
 * process's, so the application's own warnings in that window (a timer's, another request's) come here
 * too: whatever does not look like the glue's (`isGlueLine`) goes on to the console.warn from before.
 */
export function captureGlueWarnings(): GlueWarnings {
  const original = console.warn;
  const lines: string[] = [];
  let capturing = true;
  // Everything not kept goes to the console.warn from before, also after stop: code that wrapped
  // console.warn meanwhile calls this one, and forwarding to the wrapper would loop for ever.
  const capture = (...args: unknown[]): void => {
    if (capturing && isGlueLine(args)) lines.push(args[0] as string);
    else original(...args);
  };
  console.warn = capture;
  return {
    lines,
    stop() {
      capturing = false;
      if (console.warn === capture) console.warn = original;
    },
  };
}

/** The .wasm file the glue could not read, from its "Aborted(Error: ENOENT: … open '…/x.wasm')" lines. */
export function missingWasmFile(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const m = /ENOENT[^']*'([^']+\.wasm)'/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** The glue's first line, without emscripten's build advice. */
function reasonOf(lines: readonly string[]): string {
  return (lines[0] ?? 'no reason given')
    .split('\n')[0]!
    .replace(/\.? Build with -sASSERTIONS for more info\.?/, '')
    .slice(0, 300);
}

const HINT =
  "Ship @tensorflow/tfjs-backend-wasm's .wasm files (its dist/*.wasm) beside the bundled script, or call " +
  "setWasmPaths('/folder/with/wasm/files/') from @tensorflow/tfjs-backend-wasm before initEngine.";

/**
 * E_DEVICE_UNAVAILABLE for a wasm backend that did not start: why (the missing .wasm file, or the glue's
 * first line) and how to fix it, `details.reason` / `details.wasmFile`, the glue's lines as `cause`.
 */
export function wasmStartError(lines: readonly string[]): AppliedMLError {
  const file = missingWasmFile(lines);
  const reason = reasonOf(lines);
  const why = file ? `its WebAssembly file ${file} is missing` : reason;
  return new AppliedMLError('E_DEVICE_UNAVAILABLE', `The wasm backend failed to initialise: ${why}. ${HINT}`, {
    cause: new Error(lines.join('\n') || reason),
    details: { backend: 'wasm', reason, ...(file ? { wasmFile: file } : {}), glue: lines.slice(0, 5) },
  });
}
