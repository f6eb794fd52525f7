import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrainedOn, TRAINED_ON_FILE, writeTrainedOn } from './trained-on';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'speech-trained-on-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the record beside a bundle of what it was trained on', () => {
  it('reads back what train wrote; absent, unreadable or unknown is unrecorded', async () => {
    await writeTrainedOn(dir, 'fsdd');
    expect(await readTrainedOn(dir)).toBe('fsdd');
    await writeTrainedOn(dir, 'synthetic');
    expect(await readTrainedOn(dir)).toBe('synthetic');
    for (const text of ['{"data":"timit"}', 'not json', '[]', 'null']) {
      await writeFile(join(dir, TRAINED_ON_FILE), text);
      expect(await readTrainedOn(dir), text).toBeUndefined();
    }
    expect(await readTrainedOn(join(dir, 'no-such-bundle'))).toBeUndefined();
  });
});
