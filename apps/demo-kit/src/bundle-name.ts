import { basename, resolve } from 'node:path';
import { printable } from './printable';

/** Characters of a bundle's name said at most (whole characters of the name, before escaping). */
const MAX_NAME_CHARS = 100;

/**
 * What a service tells its clients a saved model is called: the bundle folder's own name
 * (`./models/speech-digits` → `speech-digits`), never its path on the server, with control characters
 * escaped as `printable` does (`\n`, `\u001b`) and its first 100 characters (whole ones) when longer; `model` for a folder without a name (`/`).
 */
export function bundleName(dir: string): string {
  // Cut by whole characters, then escape: a cut after escaping could split an escape ('\\u2…') or
  // a surrogate pair (half an emoji, which a UTF-8 answer cannot carry).
  const chars = Array.from(basename(resolve(dir)));
  if (chars.length === 0) return 'model';
  const name = printable(chars.slice(0, MAX_NAME_CHARS).join(''));
  return chars.length > MAX_NAME_CHARS ? `${name}…` : name;
}
