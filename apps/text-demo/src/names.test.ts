import { MODEL_TYPES as SDK_MODEL_TYPES } from '@appliedml/text';
import { describe, expect, it } from 'vitest';
import { MODEL_TYPES } from './names';

describe("the CLI's own copy of the SDK's names", () => {
  it("MODEL_TYPES is the SDK's list, in its order (the usage lists it)", () => {
    expect(MODEL_TYPES).toEqual(SDK_MODEL_TYPES);
  });
});
