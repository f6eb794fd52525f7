// Why the wasm backend did not start. tfjs swallows the reason (setBackend answers false; its warning is
// silenced in prod mode), and the backend rejects with advice only: the cause, typically the glue not
// finding its .wasm file in a bundled service, is printed by the glue through console.warn. These
// helpers catch those lines while the backend starts and turn them into an error that says why and how.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '#tfjs';
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

/**
 * The folder of the script that holds this code: the engine's dist folder when installed, the bundle's
 * folder when a service bundles the engine (esbuild keeps `import.meta.url` in an ESM bundle), undefined
 * when that is not a file.
 */
export function codeDirectory(url: string = import.meta.url): string | undefined {
  try {
    return dirname(fileURLToPath(url));
  } catch {
    return undefined;
  }
}

/**
 * Give the wasm glue a `__dirname` while the backend starts, when there is none. The glue takes its folder
 * from `__dirname` (`scriptDirectory = __dirname + "/"`), which CommonJS gives every module but ESM does
 * not: in an ESM bundle (esbuild `--format=esm`) that line threw a ReferenceError that tfjs swallowed,
 * so wasm never started, whether the .wasm files were beside the bundle or named by setWasmPaths. Where
 * the glue runs as CommonJS its own `__dirname` hides this global, so this changes nothing there. The
 * folder given is `dir` (the bundle's, where the README tells users to copy the .wasm files); the
 * returned function removes the global again (unless something replaced it meanwhile).
 */
export function provideGlueDirname(dir: string | undefined): () => void {
  const global = globalThis as Record<string, unknown>;
  if (dir === undefined || '__dirname' in global) return () => undefined;
  Object.defineProperty(global, '__dirname', { value: dir, writable: true, configurable: true, enumerable: false });
  return () => {
    if (Object.getOwnPropertyDescriptor(global, '__dirname')?.value === dir) delete global.__dirname;
  };
}

export interface BackendRejection {
  /** What the backend's factory rejected with (or threw), if it did. */
  readonly error: () => unknown;
  /** Put the factory back as it was. */
  stop(): void;
}

/** The tfjs engine's registry of backend factories (public at runtime, private in the typings). */
function factoryEntry(name: string): { factory: () => unknown } | undefined {
  return (tf.engine() as unknown as { registryFactory: Record<string, { factory: () => unknown } | undefined> }).registryFactory[name];
}

/**
 * Keep why a backend's factory failed while it starts. tfjs turns a failed start into `false` and
 * prints the error only outside prod mode (which the engine keeps on), so an error thrown before the
 * glue prints anything (a ReferenceError in the glue) was lost: "no reason given".
 */
export function captureBackendRejection(name: string): BackendRejection {
  const entry = factoryEntry(name);
  let failure: unknown;
  if (!entry) return { error: () => undefined, stop: () => undefined };
  const original = entry.factory;
  const wrapped = (): unknown => {
    let made: unknown;
    try {
      made = original();
    } catch (error) {
      failure = error;
      throw error;
    }
    if (typeof (made as PromiseLike<unknown> | undefined)?.then === 'function') {
      return Promise.resolve(made).catch((error: unknown) => {
        failure = error;
        throw error;
      });
    }
    return made;
  };
  entry.factory = wrapped;
  return {
    error: () => failure,
    stop() {
      if (entry.factory === wrapped) entry.factory = original;
    },
  };
}

/** The message of what a failed start rejected with: an Error's (with its class), a `{ message }`'s, or the value. */
function describeRejection(error: unknown): string | undefined {
  if (error === undefined || error === null) return undefined;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  return typeof error === 'string' ? error : undefined;
}

/** The glue's first line, without emscripten's build advice (else what the start rejected with). */
function reasonOf(lines: readonly string[], rejection?: unknown): string {
  return (lines[0] ?? describeRejection(rejection) ?? 'no reason given')
    .split('\n')[0]!
    .replace(/\.? Build with -sASSERTIONS for more info\.?/, '')
    .slice(0, 300);
}

const HINT =
  "Ship @tensorflow/tfjs-backend-wasm's .wasm files (its dist/*.wasm) beside the bundled script, or call " +
  "setWasmPaths('/folder/with/wasm/files/') from @tensorflow/tfjs-backend-wasm before initEngine.";

/** The fix for a glue that finds no `__dirname` (an ESM bundle, when the engine could not provide one). */
const DIRNAME_HINT =
  'The wasm glue needs __dirname, which an ES module bundle does not define: bundle as CommonJS (esbuild ' +
  '--format=cjs), or define it in the bundle\'s banner (esbuild --banner:js="import { fileURLToPath as __fu } ' +
  "from 'node:url'; import { dirname as __dn } from 'node:path'; const __dirname = __dn(__fu(import.meta.url));\").";

/** Whether a start failed because the glue found no `__dirname`. */
function isDirnameMissing(reason: string): boolean {
  return /\b__dirname is not defined\b/.test(reason);
}

/**
 * E_DEVICE_UNAVAILABLE for a wasm backend that did not start: why (the missing .wasm file, the glue's
 * first line, else what the start rejected with) and how to fix it, `details.reason` /
 * `details.wasmFile`, the glue's lines (or the rejection) as `cause`.
 */
export function wasmStartError(lines: readonly string[], rejection?: unknown): AppliedMLError {
  const file = missingWasmFile(lines);
  const reason = reasonOf(lines, rejection);
  const why = file ? `its WebAssembly file ${file} is missing` : reason;
  const hint = !file && isDirnameMissing(reason) ? DIRNAME_HINT : HINT;
  const cause = lines.length === 0 && rejection instanceof Error ? rejection : new Error(lines.join('\n') || reason);
  return new AppliedMLError('E_DEVICE_UNAVAILABLE', `The wasm backend failed to initialise: ${why}. ${hint}`, {
    cause,
    details: { backend: 'wasm', reason, ...(file ? { wasmFile: file } : {}), glue: lines.slice(0, 5) },
  });
}
