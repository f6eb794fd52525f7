import { basename, resolve } from 'node:path';

/** Control characters and bidirectional overrides: shown escaped, so a folder name cannot forge a line or reorder text. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Characters of a bundle's name said at most. */
const MAX_NAME_CHARS = 100;

/**
 * What a service tells its clients a saved model is called: the bundle folder's own name
 * (`./models/speech-digits` → `speech-digits`), never its path on the server, with control characters
 * escaped (`\u001b`) and at most 100 characters; `model` for a folder without a name (`/`).
 */
export function bundleName(dir: string): string {
  const name = basename(resolve(dir)).replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (name === '') return 'model';
  return name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS)}…` : name;
}
