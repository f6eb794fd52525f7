import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { AppliedMLError } from '../errors';

/** Lower-case hex SHA-256 of a file, streamed (constant memory). Read failures → E_IO. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (cause) {
    throw new AppliedMLError('E_IO', `Cannot read ${path} to checksum it: ${(cause as Error).message}`, { cause, details: { path } });
  }
  return hash.digest('hex');
}

/** True for a 64-digit hex SHA-256 string. */
export function isSha256(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-fA-F]{64}$/.test(value);
}
