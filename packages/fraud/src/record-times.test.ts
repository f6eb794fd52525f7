import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';
import { Preprocessor } from './tabular';

const START = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC

/** A week of purchases at 08:00–20:00 UTC, with the time in the form `at` gives. */
function week(at: (ms: number) => unknown, field = 'timestamp'): Array<Record<string, unknown>> {
  return Array.from({ length: 7 * 24 }, (_, i) => {
    const ms = START + Math.floor(i / 24) * 86_400_000 + (8 + (i % 12)) * 3_600_000 + (i % 7) * 60_000;
    return { amount: 20 + (i % 13), [field]: at(ms) };
  });
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return AppliedMLError.isInstance(e) ? e.code : 'untyped';
  }
};

describe('timestamps in records', () => {
  it('epoch numbers in a field named like a time are times, in the unit their range says; the same hours either way', () => {
    const iso = Preprocessor.fit(week((ms) => new Date(ms).toISOString()));
    const ms = Preprocessor.fit(week((t) => t));
    const s = Preprocessor.fit(week((t) => t / 1000, 'created_at'));
    expect(iso.features.map((f) => f.name)).toEqual(['amount', 'timestamp:hour_sin', 'timestamp:hour_cos', 'timestamp:weekend']);
    expect(ms.features.map((f) => f.name)).toEqual(iso.features.map((f) => f.name));
    expect(s.features.map((f) => f.name)).toEqual(['amount', 'created_at:hour_sin', 'created_at:hour_cos', 'created_at:weekend']);
    const a = iso.transform(week((t) => new Date(t).toISOString())).data;
    expect(Array.from(ms.transform(week((t) => t)).data)).toEqual(Array.from(a));
    expect(Array.from(s.transform(week((t) => t / 1000, 'created_at')).data)).toEqual(Array.from(a));
    // A number field not named like a time stays a number; so does one named like a time outside epoch ranges.
    expect(Preprocessor.fit(week((t) => t, 'ref')).state.columns[1]?.kind).toBe('numeric');
    expect(Preprocessor.fit(week((t) => (t - START) / 1000, 'ts')).state.columns[1]?.kind).toBe('numeric');
    // timeUnit overrides the guess for a declared field.
    const forced = Preprocessor.fit(
      week((t) => t / 1000, 'x'),
      { schema: { x: 'timestamp' }, timeUnit: 's' },
    );
    expect(Array.from(forced.transform(week((t) => t / 1000, 'x')).data)).toEqual(Array.from(a));
  });

  it('a time without an offset is read in UTC fields on any server; date-only strings are times; other text is refused', () => {
    const naive = Preprocessor.fit(week((ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19)));
    const iso = Preprocessor.fit(week((ms) => new Date(ms).toISOString()));
    expect(Array.from(naive.transform(week((ms) => new Date(ms).toISOString().slice(0, 19))).data)).toEqual(
      Array.from(iso.transform(week((ms) => new Date(ms).toISOString())).data),
    );
    expect(Preprocessor.fit(week((ms) => new Date(ms).toISOString().slice(0, 10))).state.columns[1]?.kind).toBe('timestamp');
    for (const text of ['2026', '12', '10/17/2026', 'Sat Oct 17 2026', '2026-02-30T10:00:00'])
      expect(
        codeOf(() => iso.transform([{ amount: 20, timestamp: text }])),
        text,
      ).toBe('E_INPUT_INVALID');
  });

  it('a time far from the training times (a unit mix-up) is refused, naming the reason', () => {
    const ms = Preprocessor.fit(week((t) => t));
    const late = START + 3 * 365 * 86_400_000;
    expect(ms.transform([{ amount: 20, timestamp: late }]).rows).toBe(1); // three years on: fine
    let err: unknown;
    try {
      ms.transform([{ amount: 20, timestamp: late / 1000 }]); // seconds sent to a millisecond model: 1970
    } catch (e) {
      err = e;
    }
    expect(AppliedMLError.hasCode(err, 'E_INPUT_INVALID')).toBe(true);
    expect((err as AppliedMLError).details.reason).toBe('timestamp-off-clock');
    const s = Preprocessor.fit(week((t) => t / 1000));
    expect(codeOf(() => s.transform([{ amount: 20, timestamp: Date.now() }]))).toBe('E_INPUT_INVALID'); // ms to a seconds model
    // A date far from the training times is a date, not a unit mix-up: only numbers are checked.
    expect(ms.transform([{ amount: 20, timestamp: '1915-06-01' }]).rows).toBe(1);
  });

  it('a detector trained on ms times scores next week the same whether its times come as numbers or ISO strings', async () => {
    const model = FraudDetector.create({ detector: 'ecod', contamination: 0.02 });
    await model.train(week((t) => t));
    const next = week((t) => t + 7 * 86_400_000);
    const alerts = (await model.predictBatch(next)).filter((p) => p.isFraud).length;
    expect(alerts).toBeLessThan(next.length * 0.1); // the time is not an ever-growing amount
    const asText = await model.predictBatch(week((t) => new Date(t + 7 * 86_400_000).toISOString()));
    expect(asText.map((p) => p.score)).toEqual((await model.predictBatch(next)).map((p) => p.score));
    model.dispose();
  });

  it('a state saved by an earlier version (no unit, no range) still reads its numbers as ms', () => {
    const state = Preprocessor.fit(week((t) => new Date(t).toISOString())).state;
    const old = Preprocessor.fromState({
      ...state,
      columns: state.columns.map((c) => (c.kind === 'timestamp' ? { name: c.name, kind: c.kind } : c)),
    });
    expect(Array.from(old.transform([{ amount: 20, timestamp: START }]).data)).toEqual(
      Array.from(old.transform([{ amount: 20, timestamp: new Date(START).toISOString() }]).data),
    );
    expect(() =>
      Preprocessor.fromState({ ...state, columns: state.columns.map((c) => (c.kind === 'timestamp' ? { ...c, unit: 'h' } : c)) } as never),
    ).toThrow(expect.objectContaining({ code: 'E_BUNDLE_CORRUPT' }));
  });
});

describe('required fields', () => {
  it('a record without a required field is E_INPUT_INVALID at training and scoring, not imputed; saved with the model', async () => {
    const rows = week((t) => t);
    const pre = Preprocessor.fit(rows, { required: ['amount'] });
    expect(codeOf(() => pre.transform([{ timestamp: START }]))).toBe('E_INPUT_INVALID');
    expect(codeOf(() => pre.transform([{ amount: null, timestamp: START }]))).toBe('E_INPUT_INVALID');
    expect(pre.transform([{ amount: 20, timestamp: START }]).rows).toBe(1);
    expect(codeOf(() => Preprocessor.fit([...rows, { timestamp: START }], { required: ['amount'] }))).toBe('E_INPUT_INVALID');
    expect(codeOf(() => Preprocessor.fit(rows, { required: 'amount' as never }))).toBe('E_INPUT_INVALID');
    // Without the option a missing amount is imputed, as documented.
    expect(Preprocessor.fit(rows).transform([{ timestamp: START }]).rows).toBe(1);
    expect(Preprocessor.fromState(pre.state).state.required).toEqual(['amount']);
  });
});
