// Source streams that end badly (API fuzz review17, F6): each read settles, typed, and nothing is left
// for the process to die on.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCsv, readCsvAll, readNumericMatrix } from './csv';
import { expectCode } from './test-helpers';

/** Settles within `ms`, or reports a hang (the old reader never settled). */
function within<T>(p: Promise<T>, ms = 2000): Promise<T | 'hang'> {
  return Promise.race([p, new Promise<'hang'>((resolve) => setTimeout(() => resolve('hang'), ms))]);
}

async function settled(p: Promise<unknown>): Promise<unknown> {
  return within(
    p.then(
      () => 'resolved',
      (e: unknown) => e,
    ),
  );
}

function destroyedMidway(): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) return;
      sent = true;
      this.push('a,b\n1,2\n');
      setTimeout(() => this.destroy(), 10);
    },
  });
}

describe('CSV source streams that close without their end', () => {
  it('a stream destroyed before the read is E_IO for every reader', async () => {
    for (const read of [
      (s: Readable) => readCsvAll(s),
      (s: Readable) => readNumericMatrix(s),
      async (s: Readable) => {
        for await (const row of readCsv(s)) void row;
      },
    ]) {
      const s = Readable.from(['a,b\n1,2\n']);
      s.destroy();
      const err = await settled(read(s));
      expect(err).not.toBe('hang');
      await expectCode(() => {
        throw err;
      }, 'E_IO');
      expect((err as Error).message).toMatch(/already closed/);
    }
  });

  it('a stream destroyed in the middle of the read is E_IO, not the rows so far', async () => {
    const err = await settled(readCsvAll(destroyedMidway()));
    expect(err).not.toBe('hang');
    await expectCode(() => {
      throw err;
    }, 'E_IO');
    expect((err as Error).message).toMatch(/closed before its end/);
    expect(await settled(readNumericMatrix(destroyedMidway()))).toMatchObject({ code: 'E_IO' });
  });

  it('a stream already read by an earlier readCsv is E_IO, not an empty CSV', async () => {
    const s = Readable.from(['a,b\n1,2\n3,4\n']);
    for await (const row of readCsv(s, { limit: 1 })) void row;
    await expectCode(() => readCsvAll(s), 'E_IO');
  });

  it('an object-mode stream of objects is E_INPUT_INVALID (it ended the process); one of strings or bytes reads', async () => {
    const err = await settled(readCsvAll(Readable.from([{ a: 1 }])));
    await expectCode(() => {
      throw err;
    }, 'E_INPUT_INVALID');
    const rows = await readCsvAll(Readable.from(['a,b\n', Buffer.from('1,2\n')]));
    expect(rows).toHaveLength(1);
  });
});
