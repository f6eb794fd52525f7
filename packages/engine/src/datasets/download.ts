import { createHash, randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDirs } from '../bundle/atomic-dir';
import { AppliedMLError, describeValue } from '../errors';
import { checkIntegerOption, checkKnownKeys } from '../option-checks';
import { isSha256 } from './checksum';
import { notRegularFileReason } from './file-kind';
import { silentLogger, type Logger } from '../logger';

export interface DownloadOptions {
  /** Expected SHA-256 (hex). A mismatch deletes the download and throws E_DATASET_CHECKSUM. */
  sha256?: string;
  /** Abort after this long, in ms (default 15 minutes). */
  timeoutMs?: number;
  /** Refuse bodies larger than this (default 8 GiB) → E_INPUT_TOO_LARGE. */
  maxBytes?: number;
  logger?: Logger;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
}

/** Longest timeout: AbortSignal.timeout's timer fires at once (with a warning) beyond 2^31 − 1 ms. */
export const MAX_DOWNLOAD_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The limits of a download, before any folder is made or byte fetched: a timeout that is not an
 * integer in [1, 2^31 − 1] ms failed as a network error ("Check the network"), a NaN maxBytes turned
 * the size guard off, and a malformed sha256 was found out only after the whole body came.
 */
function checkDownloadOptions(options: DownloadOptions): void {
  checkIntegerOption('downloadFile timeoutMs', options.timeoutMs, 1, MAX_DOWNLOAD_TIMEOUT_MS);
  checkIntegerOption('downloadFile maxBytes', options.maxBytes, 0, Number.MAX_SAFE_INTEGER);
  if (options.sha256 !== undefined && !isSha256(options.sha256))
    throw new AppliedMLError('E_INPUT_INVALID', `downloadFile sha256 must be 64 hex digits (got ${describeValue(options.sha256)}).`, {
      details: { field: 'sha256' },
    });
}

/**
 * Downloads `url` (http or https) to `destination` atomically: the body streams into a temporary
 * file next to the destination while being hashed, and is renamed into place only after the size
 * and checksum are good. On any failure the temporary file is removed and nothing is left at
 * `destination`. Network and HTTP failures → E_IO.
 */
export async function downloadFile(url: string, destination: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  checkKnownKeys('downloadFile options', options, ['sha256', 'timeoutMs', 'maxBytes', 'logger']);
  checkDownloadOptions(options);
  if (typeof destination !== 'string' || destination.trim() === '')
    throw new AppliedMLError('E_INPUT_INVALID', `downloadFile needs a destination file path (got ${describeValue(destination)}).`, {
      details: { field: 'destination' },
    });
  const logger = options.logger ?? silentLogger;
  const maxBytes = options.maxBytes ?? 8 * 1024 ** 3;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new AppliedMLError('E_INPUT_INVALID', `Not a valid download URL: ${describeValue(url)}`, { cause, details: { url } });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AppliedMLError('E_INPUT_INVALID', `Only http and https downloads are supported; got ${parsed.protocol} (${url}).`, {
      details: { url },
    });
  }
  try {
    await makeDirs(dirname(destination));
  } catch (cause) {
    throw new AppliedMLError('E_IO', `Could not make the folder for ${destination}: ${(cause as Error).message}`, {
      cause,
      details: { destination },
    });
  }
  // A directory at the destination would fail the final rename, after the whole download. Missing is fine.
  const existing = await stat(destination).catch(() => undefined);
  if (existing && !existing.isFile())
    throw new AppliedMLError('E_IO', `Cannot download to ${destination}: ${notRegularFileReason(existing)}.`, {
      details: { destination, reason: 'not-a-regular-file' },
    });
  const temp = `${destination}.${process.pid}.${randomBytes(6).toString('hex')}.part`;
  logger.debug('downloading', { url, destination });

  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 15 * 60_000), redirect: 'follow' });
  } catch (cause) {
    throw new AppliedMLError(
      'E_IO',
      `Download of ${url} failed: ${(cause as Error).message}. Check the network, or fetch the file by hand.`,
      {
        cause,
        details: { url },
      },
    );
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new AppliedMLError('E_IO', `Download of ${url} failed: HTTP ${response.status} ${response.statusText}.`, {
      details: { url, status: response.status },
    });
  }
  // With a content-encoding, content-length counts compressed bytes while fetch yields decoded ones.
  const encoding = (response.headers.get('content-encoding') ?? 'identity').toLowerCase();
  const declared = encoding === 'identity' ? Number(response.headers.get('content-length') ?? NaN) : NaN;
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body.cancel().catch(() => undefined);
    throw new AppliedMLError('E_INPUT_TOO_LARGE', `Download of ${url} is ${declared} bytes, over the ${maxBytes}-byte limit.`, {
      details: { url, bytes: declared, maxBytes },
    });
  }

  const hash = createHash('sha256');
  let bytes = 0;
  let renamed = false;
  let file;
  try {
    file = await open(temp, 'wx');
  } catch (cause) {
    await response.body.cancel().catch(() => undefined);
    throw new AppliedMLError('E_IO', `Cannot write ${temp}: ${(cause as Error).message}`, { cause, details: { destination } });
  }
  try {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          throw new AppliedMLError('E_INPUT_TOO_LARGE', `Download of ${url} exceeded the ${maxBytes}-byte limit.`, {
            details: { url, maxBytes },
          });
        }
        hash.update(chunk);
        await file.write(chunk);
      }
    } catch (cause) {
      if (AppliedMLError.isInstance(cause)) throw cause;
      throw new AppliedMLError('E_IO', `Download of ${url} was interrupted: ${(cause as Error).message}.`, { cause, details: { url } });
    } finally {
      await file.close();
    }
    if (Number.isFinite(declared) && declared !== bytes) {
      throw new AppliedMLError('E_IO', `Download of ${url} is incomplete: got ${bytes} of ${declared} bytes.`, {
        details: { url, bytes, expectedBytes: declared },
      });
    }
    const actual = hash.digest('hex');
    if (options.sha256 && actual !== options.sha256.toLowerCase()) {
      throw new AppliedMLError(
        'E_DATASET_CHECKSUM',
        `Checksum mismatch for ${url}: expected sha256 ${options.sha256.toLowerCase()}, got ${actual}. The download was discarded; the source may have changed or been tampered with.`,
        { details: { url, expected: options.sha256.toLowerCase(), actual } },
      );
    }
    try {
      await rename(temp, destination);
    } catch (cause) {
      throw new AppliedMLError('E_IO', `Cannot move the download into ${destination}: ${(cause as Error).message}`, {
        cause,
        details: { destination },
      });
    }
    renamed = true;
    logger.debug('downloaded', { url, destination, bytes });
    return { path: destination, bytes, sha256: actual };
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}
