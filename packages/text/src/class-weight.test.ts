import { beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError, initEngine } from '@appliedml/engine';
import { TextClassifier } from './text-classifier';
import { TICKETS } from './test-helpers';

// Review R5-1: text's classWeight is resolved by the engine's resolveClassWeights (as speech's is). A list
// was read as a map of labels '0', '1', …, so `[]` trained silently with every weight 1; the refusals said
// nothing of what was given and carried no details.

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

async function refusal(classWeight: unknown): Promise<AppliedMLError> {
  const model = TextClassifier.create({ model: 'naive-bayes' });
  try {
    await model.train(TICKETS, { classWeight: classWeight as never });
  } catch (e) {
    expect(model.isTrained).toBe(false);
    if (e instanceof AppliedMLError) return e;
    throw e;
  } finally {
    model.dispose();
  }
  throw new Error(`classWeight ${JSON.stringify(classWeight)} was taken`);
}

describe('classWeight refusals', () => {
  it('refuses a list, empty or not, as not a weight per label', async () => {
    for (const option of [[], [1, 2]]) {
      const e = await refusal(option);
      expect(e.code).toBe('E_INPUT_INVALID');
      expect(e.message).toContain("classWeight must be 'balanced' or a weight per label (got ");
      expect(e.details).toEqual({ field: 'classWeight' });
    }
  });

  it('say what was given, and where', async () => {
    const negative = await refusal({ bug: -1 });
    expect(negative.message).toBe("classWeight for 'bug' must be a non-negative number (got -1).");
    expect(negative.details).toEqual({ field: 'classWeight.bug' });
    const unknown = await refusal({ sideways: 2 });
    expect(unknown.message).toContain("classWeight names 'sideways', not among the training labels (");
    expect(unknown.details).toEqual({ field: 'classWeight', unknown: ['sideways'] });
  });
});
