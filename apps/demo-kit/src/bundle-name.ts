import { basename, resolve } from 'node:path';
import { printable } from './printable';

/** Characters of a bundle's name said at most. */
const MAX_NAME_CHARS = 100;

/**
 * What a service tells its clients a saved model is called: the bundle folder's own name
 * (`./models/speech-digits` → `speech-digits`), never its path on the server, with control characters
 * escaped as `printable` does (`\n`, `\u001b`) and at most 100 characters; `model` for a folder without a name (`/`).
 */
export function bundleName(dir: string): string {
  const name = printable(basename(resolve(dir)));
  if (name === '') return 'model';
  return name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS)}…` : name;
}
