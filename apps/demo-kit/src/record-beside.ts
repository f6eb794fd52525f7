import { join } from 'node:path';
import { readSmallTextFile } from '@appliedml/engine';
import { writeOutputFile } from './write-output';

// A demo's small JSON record beside a bundle `train` saved (what the model was trained on: text-demo.json,
// speech-demo.json, traffic-demo.json). Written whole or not at all, after the save (which replaces the
// folder); read as the engine reads a manifest: a regular file only, no link followed, bounded. A FIFO
// there hung `evaluate` / `forecast` for ever, a link to /dev/zero was read to ~736 MB.

/** The most a record is read to: it holds a line of JSON; anything larger is not one. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** Writes `record` as `file` in the bundle folder `dir`, whole or not at all. */
export async function writeRecordBeside(dir: string, file: string, record: unknown): Promise<void> {
  await writeOutputFile(join(dir, file), `${JSON.stringify(record)}\n`);
}

/**
 * The parsed JSON of `file` in `dir`: undefined when there is none, `{ unreadable }` saying why it was not
 * read (a FIFO, a link, a device, over MAX_RECORD_BYTES, not JSON, a read error), else `{ record }` for the
 * caller to check its shape.
 */
export async function readRecordBeside(dir: string, file: string): Promise<{ record: unknown } | { unreadable: string } | undefined> {
  let text: string;
  try {
    const read = await readSmallTextFile(join(dir, file), MAX_RECORD_BYTES);
    if (read.kind === 'absent') return undefined;
    if (read.kind === 'not-regular') return { unreadable: `it is ${read.what}, not a file` };
    if (read.kind === 'too-large') return { unreadable: `it holds more than ${MAX_RECORD_BYTES / 1024} KiB` };
    text = read.text;
  } catch (error) {
    return { unreadable: (error as NodeJS.ErrnoException).code ?? 'it could not be read' };
  }
  try {
    return { record: JSON.parse(text) as unknown };
  } catch {
    return { unreadable: 'it is not JSON' };
  }
}
