// Preloaded with `node --import` by runCliRecordingModules (tests only): writes the URL of every module the
// process resolves (ESM imports, through a resolve hook) and, at exit, every CommonJS module it required,
// one a line, to the file named by APPLIEDML_MODULE_LOG. Nothing happens without that variable.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

// The hook runs on the loader thread, so it is a module of its own (plain JavaScript, as the thread reads it).
const HOOKS = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  // Files only, without a loader's query (tsx resolves some files a second time, with one).
  if (resolved.url.startsWith('file:')) appendFileSync(file, resolved.url.replace(/[?#].*$/s, '') + '\\n');
  return resolved;
}`;

const file = process.env.APPLIEDML_MODULE_LOG;
if (file) {
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { file } });
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => {
    const required = Object.keys(cache).map((path) => `${pathToFileURL(path).href}\n`);
    appendFileSync(file, required.join(''));
  });
}
