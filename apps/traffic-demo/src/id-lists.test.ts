// Found in review (session 25): data.ts joined sensor ids by hand ("'a', 'b', 'c'", "… and 2 more"; the
// graph's "a, b, … (9)") beside the demos' one list joiner, demo-kit's andList (Intl.ListFormat), which
// the CLI's messages use: the ids now read as those lists do ("'a', 'b' and 'c'", "… and 2 more").
import { writeFile } from 'node:fs/promises';
import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { loadDemoData } from './data';
import { scratchFolder } from './test-helpers';

const dir = scratchFolder('traffic-id-lists-');
const timed = { timestampColumn: 'time' } as const;

/** A wide CSV of `ids`, a day of 5-minute speeds. */
async function wide(name: string, ids: readonly string[]): Promise<string> {
  const rows = [`time,${ids.join(',')}`];
  for (let t = 0; t < 288; t++)
    rows.push(`${new Date(Date.UTC(2026, 0, 5) + t * 300_000).toISOString()},${ids.map((_, k) => 50 + k).join(',')}`);
  const path = dir.file(name);
  await writeFile(path, `${rows.join('\n')}\n`);
  return path;
}

const message = async (load: Promise<unknown>, code: 'E_INPUT_INVALID' | 'E_SHAPE_MISMATCH'): Promise<string> => {
  const error = await load.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppliedMLError.hasCode(error, code)).toBe(true);
  return (error as AppliedMLError).message;
};

describe('sensor ids in the demo data messages are joined as the CLI joins its lists', () => {
  it("a model's sensors the data lacks: 'a', 'b' and 'c'; past eight, 'and N more'", async () => {
    const few = await wide('few.csv', ['s-9', 's-2', 's-5']);
    expect(await message(loadDemoData(few, ['s-9', 'x-1', 'x-2'], {}, timed), 'E_SHAPE_MISMATCH')).toContain(
      "sensor(s) 'x-1' and 'x-2' that the data does not have (its sensors: 's-9', 's-2' and 's-5')",
    );
    const ten = Array.from({ length: 10 }, (_, k) => `a${k}`);
    const many = await wide('many.csv', ten);
    const model = Array.from({ length: 11 }, (_, k) => `m${k}`);
    expect(await message(loadDemoData(many, model, {}, timed), 'E_SHAPE_MISMATCH')).toContain(
      "sensor(s) 'm0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7' and 3 more that the data does not have " +
        "(its sensors: 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7' and 2 more)",
    );
  });

  it('a graph over other sensors: the ids each side lacks, past six counted', async () => {
    const ten = Array.from({ length: 10 }, (_, k) => `a${k}`);
    const data = await wide('graph-data.csv', ten);
    const graph = ['a0', 'g1', 'g2'];
    const rows = [graph.join(','), ...graph.map((_, i) => graph.map((__, j) => (i === j ? 0 : 1)).join(','))];
    await writeFile(dir.file('graph.csv'), `${rows.join('\n')}\n`);
    expect(
      await message(
        loadDemoData(data, undefined, {}, { ...timed, adjacency: dir.file('graph.csv'), adjacencyHeader: true }),
        'E_INPUT_INVALID',
      ),
    ).toContain('not in the graph: a1, a2, a3, a4, a5, a6 and 3 more; not in the data: g1 and g2.');
  });
});
