import { describe, it } from 'vitest';
import { shuffleIndices } from '../datasets/split';
import { confusionMatrix } from './classification';
import { averagePrecision, rocAuc, rocAucOvr } from './ranking';
import { expectCode } from '../datasets/test-helpers';

describe('metrics given no arrays or absurd class counts', () => {
  it('answer with E_INPUT_INVALID, not a TypeError or RangeError', async () => {
    await expectCode(() => rocAuc(null as never, null as never), 'E_INPUT_INVALID');
    await expectCode(() => averagePrecision([0, 1], undefined as never), 'E_INPUT_INVALID');
    await expectCode(() => rocAucOvr([0, 1, 2], undefined as never, 3), 'E_INPUT_INVALID');
    await expectCode(() => rocAucOvr(null as never, [[1, 0, 0]], 3), 'E_INPUT_INVALID');
    await expectCode(() => confusionMatrix([0, 1], [0, 1], 1e9), 'E_INPUT_INVALID');
    await expectCode(() => shuffleIndices(1e10), 'E_INPUT_INVALID');
  });
});
