import { initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdjacency, MAX_ADJACENCY_SENSORS, normalizedAdjacency, readAdjacencyCsv, subAdjacency, type Adjacency } from './adjacency';
import { TrafficForecaster } from './forecaster';
import { generateTrafficNetwork } from './synthetic';
import { expectCode } from './test-helpers';

const net = generateTrafficNetwork({ sensors: 4, corridorLength: 2, days: 2, incidents: 1, seed: 1 });
const hand = (size: number, weights: number[]): Adjacency => ({ size, weights: Float64Array.from(weights) });

beforeAll(async () => {
  await initEngine();
});

describe('adjacency helpers check indices and weights (SDK fuzz S2)', () => {
  it('subAdjacency refuses indices that are out of range, not whole numbers, sensor ids, repeated or missing', async () => {
    for (const indices of [[0, 99], [-1], [0.5], ['S001', 'S002'], [], [1, 1]]) {
      const error = await expectCode(() => subAdjacency(net.adjacency, indices as number[]), 'E_INPUT_INVALID');
      expect(error.message).toMatch(/subAdjacency/);
    }
    await expectCode(() => subAdjacency(net.adjacency, null as never), 'E_INPUT_INVALID');
    await expectCode(() => subAdjacency(null as never, [0]), 'E_INPUT_INVALID');
    const sub = subAdjacency(net.adjacency, [2, 0]);
    expect(sub.size).toBe(2);
    expect(Array.from(sub.weights)).toEqual([1, 0.3, 0.3, 1]);
  });

  it('normalizedAdjacency refuses a short, negative, NaN or oversized graph instead of returning NaN', async () => {
    expect((await expectCode(() => normalizedAdjacency(hand(3, [1, 0, 0, 1])), 'E_SHAPE_MISMATCH')).message).toMatch(/holds 4 weights/);
    expect((await expectCode(() => normalizedAdjacency(hand(2, [0, -5, -5, 0])), 'E_INPUT_INVALID')).message).toMatch(
      /entry \(0, 1\) is -5/,
    );
    expect((await expectCode(() => normalizedAdjacency(hand(2, [0, NaN, 1, 0])), 'E_INPUT_INVALID')).message).toMatch(/is NaN/);
    await expectCode(() => normalizedAdjacency(null as never), 'E_INPUT_INVALID');
    await expectCode(() => normalizedAdjacency({ size: 1e6, weights: new Float64Array(1) }), 'E_INPUT_TOO_LARGE');
    await expectCode(() => normalizedAdjacency({ size: 1.5, weights: new Float64Array(1) }), 'E_INPUT_INVALID');
    expect(Array.from(normalizedAdjacency(hand(2, [0, 1, 1, 0])))).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('createAdjacency refuses string cells, a non-integer size and a huge row count (typed, before allocating)', async () => {
    await expectCode(
      () =>
        createAdjacency([
          [1, '2'],
          [0, 1],
        ] as never),
      'E_INPUT_INVALID',
    );
    await expectCode(() => createAdjacency(new Float64Array(4), '2' as never), 'E_INPUT_INVALID');
    await expectCode(() => createAdjacency(new Float64Array(4), NaN), 'E_INPUT_INVALID');
    await expectCode(() => createAdjacency({ length: 1e6 } as never), 'E_INPUT_TOO_LARGE');
    await expectCode(() => createAdjacency({ length: MAX_ADJACENCY_SENSORS + 1 } as never), 'E_INPUT_TOO_LARGE');
  });

  it('train re-checks the adjacency it is given: NaN, negative or a wrong weight count are named, for ridge and tgcn', async () => {
    const n = net.series.sensors.length;
    const good = Array.from(net.adjacency.weights);
    const withNan = good.slice();
    withNan[1] = NaN;
    const negative = good.slice();
    negative[n + 2] = -1;
    const before = tf.memory().numTensors;
    for (const model of ['ridge', 'tgcn'] as const) {
      const forecaster = TrafficForecaster.create({ model, hiddenUnits: 4 });
      const e1 = await expectCode(() => forecaster.train(net.series, { adjacency: hand(n, withNan), epochs: 1 }), 'E_INPUT_INVALID');
      expect(e1.message).toMatch(/options\.adjacency entry \(0, 1\) is NaN/);
      const e2 = await expectCode(() => forecaster.train(net.series, { adjacency: hand(n, negative), epochs: 1 }), 'E_INPUT_INVALID');
      expect(e2.message).toMatch(/entry \(1, 2\) is -1/);
      await expectCode(() => forecaster.train(net.series, { adjacency: hand(n, good.slice(0, n)), epochs: 1 }), 'E_SHAPE_MISMATCH');
      await expectCode(
        () => forecaster.train(net.series, { adjacency: { size: n, weights: good } as never, epochs: 1 }),
        'E_INPUT_INVALID',
      );
      // What the fuzz built: a sub-graph with an index past the end, which is refused where it is made.
      await expectCode(() => subAdjacency(net.adjacency, [0, 1, 2, 9]), 'E_INPUT_INVALID');
      expect(forecaster.isTrained).toBe(false);
      forecaster.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('readAdjacencyCsv says what to do with sensor ids in the file (review R3-6)', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  it('a header row of ids: pass header: true; row labels: remove them; an empty cell: no allowMissing (not an option here)', async () => {
    const header = await expectCode(() => readAdjacencyCsv(bytes('a,b,c\n0,1,0\n1,0,1\n0,1,0\n')), 'E_INPUT_INVALID');
    expect(header.message).toMatch(
      /line 1, column '0': 'a' is not a number\. If the first line names the sensors \(a header row\), pass header: true\.$/,
    );
    expect(header.details).toMatchObject({ line: 1, columnIndex: 0, value: 'a' });
    expect(Array.from((await readAdjacencyCsv(bytes('a,b,c\n0,1,0\n1,0,1\n0,1,0\n'), { header: true })).weights)).toEqual([
      0, 1, 0, 1, 0, 1, 0, 1, 0,
    ]);
    const labels = bytes(',a,b\na,0,1\nb,1,0\n');
    const empty = await expectCode(() => readAdjacencyCsv(labels), 'E_INPUT_INVALID');
    expect(empty.message).not.toMatch(/allowMissing/);
    expect(empty.message).toMatch(/every cell of an adjacency needs a weight \(0 for no link\)\. If the first line names the sensors/);
    const rows = await expectCode(() => readAdjacencyCsv(labels, { header: true }), 'E_INPUT_INVALID');
    expect(rows.message).toMatch(/line 2, .*'a' is not a number\. If the first column names the sensors \(row labels\), remove it/);
    // Text elsewhere (a distance of 'inf') gets no guess.
    const inf = await expectCode(() => readAdjacencyCsv(bytes('0,inf\ninf,0\n')), 'E_INPUT_INVALID');
    expect(inf.message).toMatch(/'inf' is not a number\.$/);
  });

  it('a header of numeric ids (Los-loop, METR-LA) reads as one row too many: the error says to pass header: true (review R6-3)', async () => {
    const numeric = bytes('773869,767541,767542\n0,1,0\n1,0,1\n0,1,0\n');
    const error = await expectCode(() => readAdjacencyCsv(numeric), 'E_SHAPE_MISMATCH');
    expect(error.message).toMatch(/the CSV is 4 × 3\. If the first line names the sensors \(a header row of ids\), pass header: true\.$/);
    // Not square for another reason: no guess.
    const wide = await expectCode(() => readAdjacencyCsv(bytes('0,1,0\n1,0,1\n')), 'E_SHAPE_MISMATCH');
    expect(wide.message).toMatch(/the CSV is 2 × 3\.$/);
    expect((await readAdjacencyCsv(numeric, { header: true })).sensors).toEqual(['773869', '767541', '767542']);
  });

  it("a header's ids are kept and checked at train: a graph naming the series' sensors in another order is refused, not applied by position (review R6-2)", async () => {
    const ids = net.series.sensors;
    const text = (order: readonly string[]) =>
      bytes(`${order.join(',')}\n${order.map((a) => order.map((b) => (a === b ? 0 : 1)).join(',')).join('\n')}\n`);
    const same = await readAdjacencyCsv(text(ids), { header: true });
    expect(same.sensors).toEqual(ids);
    expect(subAdjacency(same, [2, 0]).sensors).toEqual([ids[2], ids[0]]);
    const swapped = await readAdjacencyCsv(text([ids[1]!, ids[0]!, ...ids.slice(2)]), { header: true });
    const model = TrafficForecaster.create({ model: 'ridge', inputSteps: 6, horizons: [1] });
    const error = await expectCode(() => model.train(net.series, { adjacency: swapped }), 'E_INPUT_INVALID');
    expect(error.message).toMatch(/options\.adjacency names its sensors in another order .*subAdjacency/);
    const other = await readAdjacencyCsv(text(['x', ...ids.slice(1)]), { header: true });
    expect((await expectCode(() => model.train(net.series, { adjacency: other }), 'E_INPUT_INVALID')).message).toMatch(
      new RegExp(`'${ids[0]}' is not in the graph`),
    );
    await model.train(net.series, { adjacency: same });
    model.dispose();
  });
});

describe("a ';'-separated adjacency (review s24 R5-2)", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);

  it("the advice names only options readAdjacencyCsv takes: delimiter: ';' reads the file, and no header hint for it", async () => {
    const error = await expectCode(() => readAdjacencyCsv(bytes('1;0.5\n0.5;1\n')), 'E_INPUT_INVALID');
    expect(error.message).toBe(
      "CSV input: line 1, column '0': '1;0.5' is not a number. The rows are one field holding ';': if the file is separated by ';', pass delimiter: ';'.",
    );
    // As advised (it was "readAdjacencyCsv options has no option 'delimiter'; valid: header").
    const read = await readAdjacencyCsv(bytes('1;0.5\n0.5;1\n'), { delimiter: ';' });
    expect([read.size, Array.from(read.weights)]).toEqual([2, [1, 0.5, 0.5, 1]]);
    const withIds = await readAdjacencyCsv(bytes('a\tb\n0\t1\n1\t0\n'), { header: true, delimiter: '\t' });
    expect([withIds.sensors, Array.from(withIds.weights)]).toEqual([
      ['a', 'b'],
      [0, 1, 1, 0],
    ]);
    // A header of ids in a ';' file, read with commas: the delimiter advice, not "pass header: true".
    const ids = await expectCode(() => readAdjacencyCsv(bytes('a;b\n0;1\n1;0\n')), 'E_INPUT_INVALID');
    expect(ids.message).toMatch(/pass delimiter: ';'\.$/);
    expect(ids.message).not.toMatch(/header/);
    await expectCode(() => readAdjacencyCsv(bytes('0,1\n1,0\n'), { delimiter: '' }), 'E_INPUT_INVALID');
  });
});
