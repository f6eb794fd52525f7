import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AppliedMLError, describeFileKind, hostOrderBytes, statRegularFile } from '@appliedml/engine';
import { MAX_ID_CHARS, type CardRecord } from './stream';

/**
 * A scorer's card state on disk, written as it goes instead of as one JSON string (which V8 cannot make
 * past ~512 MB: a state of ~180,000 cards × 64 transactions failed with "Invalid string length", and
 * 100,000 × 64 was a 285 MB stream.json taking 15 s):
 *
 * - `cards.jsonl`: a line per card, least recently seen first: `[card, n, merchants, merchantSince,
 *   countries, countrySince]`, n the number of kept transactions;
 * - `history.f64`: per card in the same order, its n times (epoch ms) then its n amounts, float64
 *   little-endian.
 *
 * stream.json keeps the options and each file's byte count and SHA-256 (its own checksum covers them).
 */
export const CARDS_FILE = 'cards.jsonl';
export const HISTORY_FILE = 'history.f64';

export interface CardFiles {
  /** Cards in the files. */
  count: number;
  /** Per file: bytes and SHA-256 (hex). */
  files: Record<string, { bytes: number; sha256: string }>;
}

/** Cards written per chunk (a few MB of text and numbers at the default 64 transactions a card). */
const CHUNK_CARDS = 2048;

class HashedWriter {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  private constructor(private readonly handle: FileHandle) {}

  static async open(path: string): Promise<HashedWriter> {
    return new HashedWriter(await open(path, 'wx'));
  }

  async write(data: Uint8Array): Promise<void> {
    this.hash.update(data);
    this.bytes += data.byteLength;
    let done = 0;
    while (done < data.byteLength) done += (await this.handle.write(data, done, data.byteLength - done)).bytesWritten;
  }

  async close(): Promise<{ bytes: number; sha256: string }> {
    try {
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/**
 * Writes `cards` (least recently seen first) into `dir` (cards.jsonl, history.f64), a chunk of cards at a
 * time, reading each card's lists where they are: a save of 100,000 full cards copied the whole state
 * first (about 0.9 GB more at its peak). The count is of the cards written.
 */
export async function writeCardFiles(dir: string, cards: Iterable<readonly [string, Readonly<CardRecord>]>): Promise<CardFiles> {
  const cardsFile = await HashedWriter.open(join(dir, CARDS_FILE));
  let history: HashedWriter | undefined;
  try {
    history = await HashedWriter.open(join(dir, HISTORY_FILE));
    const encoder = new TextEncoder();
    let count = 0;
    let chunk: Array<readonly [string, Readonly<CardRecord>]> = [];
    const flush = async (): Promise<void> => {
      let numbers = 0;
      for (const [, e] of chunk) numbers += 2 * e.times.length;
      const values = new Float64Array(numbers);
      let k = 0;
      let text = '';
      for (const [card, e] of chunk) {
        text += `${JSON.stringify([card, e.times.length, e.merchants, e.merchantSince, e.countries, e.countrySince])}\n`;
        values.set(e.times, k);
        values.set(e.amounts, k + e.times.length);
        k += 2 * e.times.length;
      }
      chunk = [];
      await cardsFile.write(encoder.encode(text));
      const bytes = new Uint8Array(values.buffer);
      // Little-endian on every machine (the same reordering either way: on a little-endian one, the bytes as they are).
      await history!.write(hostOrderBytes(bytes, 'little', 8, { view: true }));
    };
    for (const entry of cards) {
      chunk.push(entry);
      count++;
      if (chunk.length === CHUNK_CARDS) await flush();
    }
    if (chunk.length > 0) await flush();
    return { count, files: { [CARDS_FILE]: await cardsFile.close(), [HISTORY_FILE]: await history.close() } };
  } catch (error) {
    await cardsFile.abandon();
    await history?.abandon();
    throw error;
  }
}

/** Read-only, and a FIFO put in a file's place after the check does not block the open (where the system has the flag). */
const OPEN_READ = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Opens the scorer's file `name` in `dir` for reading, once the engine's `statRegularFile` has seen a
 * regular file there: a FIFO in its place blocked the open until some process wrote to it (holding one
 * of libuv's 4 threads), and a directory was read as a 4096-byte file "not matching its checksum".
 *
 * - missing → `E_BUNDLE_MISSING` `Transaction scorer at <where>: <name> is missing.`;
 * - a directory, FIFO, device or socket, or a path that cannot be looked at → `E_BUNDLE_CORRUPT`
 *   `Transaction scorer at <where>: cannot read <what> <path>: it is a FIFO (named pipe), not a regular
 *   file.` (the engine's words; its `details.path` and `details.reason`, with `dir` and `file`).
 *
 * Other failures to open are the caller's to word (the system's error is thrown as it is).
 */
export async function openScorerFile(dir: string, name: string, where: string, what: string): Promise<FileHandle> {
  const path = join(dir, name);
  const refused = (error: AppliedMLError): AppliedMLError => {
    const missing = error.details.reason === 'ENOENT';
    return new AppliedMLError(
      missing ? 'E_BUNDLE_MISSING' : 'E_BUNDLE_CORRUPT',
      `Transaction scorer at ${where}: ${missing ? `${name} is missing` : error.message.replace(/^Cannot/, 'cannot').replace(/\.$/, '')}.`,
      { cause: error, details: { ...error.details, dir: where, file: name } },
    );
  };
  try {
    await statRegularFile(path, what);
  } catch (error) {
    throw AppliedMLError.isInstance(error) && error.code === 'E_IO' ? refused(error) : error;
  }
  const handle = await open(path, OPEN_READ);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      const kind = describeFileKind(info);
      throw refused(
        new AppliedMLError(
          'E_IO',
          `Cannot read ${what} ${path}: ${kind === 'not a regular file' ? 'it is not a regular file' : `it is ${kind}, not a regular file`}.`,
          { details: { path, reason: 'not-a-regular-file' } },
        ),
      );
    }
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  return handle;
}

/** Bytes read from history.f64 at a time (a multiple of 8). */
const READ_CHUNK = 1 << 22;

/**
 * history.f64 as numbers, read a chunk at a time into one array (readFile stops at 2 GiB) and hashed as
 * it is read; its size and checksum must be those stream.json records.
 */
async function readHistory(handle: FileHandle, entry: { bytes: number; sha256: string }, where: string): Promise<Float64Array> {
  const corrupt = (why: string): AppliedMLError =>
    new AppliedMLError('E_BUNDLE_CORRUPT', `Transaction scorer at ${where}: ${HISTORY_FILE} ${why}.`);
  const size = (await handle.stat()).size;
  if (size !== entry.bytes) throw corrupt(`does not match its checksum (edited or damaged): ${size} bytes, not ${entry.bytes}`);
  if (size % 8 !== 0) throw corrupt('is not a whole number of float64 values');
  const values = new Float64Array(size / 8);
  const bytes = new Uint8Array(values.buffer);
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(Math.min(READ_CHUNK, Math.max(size, 8)));
  for (let at = 0; at < size;) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, size - at), at);
    if (bytesRead === 0) throw corrupt('ended early');
    const part = chunk.subarray(0, bytesRead);
    hash.update(part);
    bytes.set(part, at);
    at += bytesRead;
  }
  if (hash.digest('hex') !== entry.sha256) throw corrupt('does not match its checksum (edited or damaged)');
  // Little-endian on disk: this machine's order (a copy only on a big-endian one).
  const host = hostOrderBytes(bytes, 'little', 8, { view: true });
  return host === bytes ? values : new Float64Array(host.buffer, host.byteOffset, host.byteLength / 8);
}

/**
 * The longest line a card can take in cards.jsonl with `maxSeenPerEntity` merchants and as many
 * countries: names are at most MAX_ID_CHARS (256) characters (6 bytes each when JSON escapes them), a first-seen time
 * at most 26 characters, plus the card and its count.
 */
export function maxCardLineBytes(maxSeenPerEntity: number): number {
  return 4096 + 2 * maxSeenPerEntity * (MAX_ID_CHARS * 6 + 2 + 1 + 26 + 1);
}

/**
 * The lines of an open file of `size` bytes, read a chunk at a time and hashed as they are read; a line
 * longer than `maxLine` bytes is refused before it is held whole (`tooLong(line number)`).
 */
async function* fileLines(
  handle: FileHandle,
  size: number,
  maxLine: number,
  hash: Hash,
  tooLong: (line: number) => Error,
  endedEarly: () => Error,
): AsyncGenerator<string> {
  let parts: Buffer[] = [];
  let pending = 0;
  let line = 0;
  for (let at = 0; at < size;) {
    const chunk = Buffer.alloc(Math.min(READ_CHUNK, size - at));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, at);
    if (bytesRead === 0) throw endedEarly();
    const part = chunk.subarray(0, bytesRead);
    hash.update(part);
    at += bytesRead;
    let start = 0;
    for (let end = part.indexOf(10, start); end >= 0; end = part.indexOf(10, start)) {
      if (pending + end - start > maxLine) throw tooLong(line + 1);
      const text = (parts.length ? Buffer.concat([...parts, part.subarray(start, end)]) : part.subarray(start, end)).toString('utf8');
      parts = [];
      pending = 0;
      start = end + 1;
      line++;
      yield text;
    }
    if (start < part.length) {
      pending += part.length - start;
      if (pending > maxLine) throw tooLong(line + 1);
      parts.push(part.subarray(start));
    }
  }
  if (pending > 0) yield Buffer.concat(parts).toString('utf8');
}

/** Bounds a saved state's options put on its card files (unchecked values fall back to the hard limits). */
export interface CardLimits {
  maxEntities: number;
  maxSeenPerEntity: number;
}

/**
 * Reads the cards `files` describes from `dir` (least recently seen first, for
 * `TransactionFeatures.fromCards`): every file's size is compared with the recorded
 * one before it is read, the card count with `limits.maxEntities`, each line's length with what a card
 * can take; then every checksum, and every line's shape (the values themselves are checked by
 * `TransactionFeatures.fromCards`).
 */
export async function readCardFiles(
  dir: string,
  files: unknown,
  where: string,
  limits: CardLimits = { maxEntities: 100_000_000, maxSeenPerEntity: 100_000 },
): Promise<Array<[string, CardRecord]>> {
  const corrupt = (why: string, cause?: unknown): AppliedMLError =>
    new AppliedMLError('E_BUNDLE_CORRUPT', `Transaction scorer at ${where}: ${why}.`, cause === undefined ? {} : { cause });
  const meta = files as Partial<CardFiles> | null;
  const entry = (name: string): { bytes: number; sha256: string } => {
    const f = (meta?.files as Record<string, unknown> | undefined)?.[name] as { bytes?: unknown; sha256?: unknown } | undefined;
    if (!f || !Number.isSafeInteger(f.bytes) || typeof f.sha256 !== 'string') throw corrupt(`stream.json does not describe ${name}`);
    return f as { bytes: number; sha256: string };
  };
  if (!meta || typeof meta !== 'object' || !Number.isSafeInteger(meta.count) || (meta.count as number) < 0)
    throw corrupt('stream.json has no card count');
  const count = meta.count as number;
  if (count > limits.maxEntities) throw corrupt(`stream.json counts ${count} cards, over its maxEntities (${limits.maxEntities})`);
  const cardsEntry = entry(CARDS_FILE);
  const historyEntry = entry(HISTORY_FILE);
  const readFailed = (name: string, cause: unknown): AppliedMLError => {
    const code = (cause as NodeJS.ErrnoException).code;
    return new AppliedMLError(
      code === 'ENOENT' ? 'E_BUNDLE_MISSING' : 'E_BUNDLE_CORRUPT',
      `Transaction scorer at ${where}: ${name} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${(cause as Error).message})`}.`,
      { cause },
    );
  };
  // Both files are opened before either is read: a save replacing the folder later does not mix them.
  let cards: FileHandle | undefined;
  let history: FileHandle | undefined;
  let values: Float64Array;
  try {
    cards = await openScorerFile(dir, CARDS_FILE, where, 'card file');
    history = await openScorerFile(dir, HISTORY_FILE, where, 'card file');
    values = await readHistory(history, historyEntry, where);
  } catch (cause) {
    await cards?.close();
    if (AppliedMLError.isInstance(cause)) throw cause;
    throw readFailed(cards ? HISTORY_FILE : CARDS_FILE, cause);
  } finally {
    await history?.close();
  }
  const entities: Array<[string, CardRecord]> = [];
  const hash = createHash('sha256');
  let k = 0;
  try {
    const size = (await cards.stat()).size;
    if (size !== cardsEntry.bytes)
      throw corrupt(`${CARDS_FILE} does not match its checksum (edited or damaged): ${size} bytes, not ${cardsEntry.bytes}`);
    const maxLine = maxCardLineBytes(limits.maxSeenPerEntity);
    const lines = fileLines(
      cards,
      size,
      maxLine,
      hash,
      (line) => corrupt(`${CARDS_FILE} line ${line} is longer than a card can be (over ${maxLine} bytes)`),
      () => corrupt(`${CARDS_FILE} ended early`),
    );
    for await (const line of lines) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (cause) {
        throw corrupt(`${CARDS_FILE} line ${entities.length + 1} is not JSON`, cause);
      }
      const [card, n, merchants, merchantSince, countries, countrySince] = (Array.isArray(parsed) ? parsed : []) as unknown[];
      const list = (a: unknown, since: unknown): boolean => Array.isArray(a) && Array.isArray(since) && a.length === since.length;
      if (
        typeof card !== 'string' ||
        !Number.isSafeInteger(n) ||
        (n as number) < 0 ||
        k + 2 * (n as number) > values.length ||
        !list(merchants, merchantSince) ||
        !list(countries, countrySince) ||
        entities.length >= count
      )
        throw corrupt(`${CARDS_FILE} line ${entities.length + 1} is not a card`);
      const m = n as number;
      // The lists as read (TransactionFeatures.fromCards checks their values and keeps them, no copy).
      const e: CardRecord = {
        times: Array.from(values.subarray(k, k + m)),
        amounts: Array.from(values.subarray(k + m, k + 2 * m)),
        merchants: merchants as string[],
        countries: countries as string[],
        merchantSince: merchantSince as number[],
        countrySince: countrySince as number[],
      };
      k += 2 * m;
      entities.push([card, e]);
    }
  } catch (cause) {
    if (AppliedMLError.isInstance(cause)) throw cause;
    throw readFailed(CARDS_FILE, cause);
  } finally {
    await cards.close();
  }
  if (hash.digest('hex') !== cardsEntry.sha256) throw corrupt(`${CARDS_FILE} does not match its checksum (edited or damaged)`);
  if (entities.length !== count || k !== values.length)
    throw corrupt(`the card files hold ${entities.length} cards and ${values.length - k} values more than stream.json says`);
  return entities;
}
