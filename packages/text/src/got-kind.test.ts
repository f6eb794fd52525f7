import { describe, expect, it } from 'vitest';
import { TextClassifier } from './text-classifier';
import { checkText } from './text-input';

// Input checks said "must be a string; got number" and "(got object)" (no article, and an array was an
// 'object'); they now say what was given in the engine's describeKind words ("a number", "an array").

describe('what was given instead, with its article', () => {
  it('checkText', () => {
    const cases: Array<[unknown, string]> = [
      [5, 'a number'],
      [{}, 'an object'],
      [['a'], 'an array'],
      [undefined, 'undefined'],
      [null, 'null'],
      [new Map(), 'a Map'],
      [new Uint8Array(2), 'a Uint8Array'],
    ];
    for (const [value, kind] of cases)
      expect(() => checkText(value)).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', message: `A text must be a string; got ${kind}.` }),
      );
  });

  it('a training label that is not a non-empty string (a number still shows itself)', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'an object'],
      [true, 'a boolean'],
      [null, 'null'],
      ['', 'an empty string'],
      [' \t', 'a string of only whitespace'],
      [3, '3'],
    ];
    for (const [label, kind] of cases) {
      const model = TextClassifier.create({});
      await expect(
        model.train(
          [
            { text: 'a b c', label: label as string },
            { text: 'd e f', label: 'x' },
          ],
          { epochs: 1 },
        ),
      ).rejects.toMatchObject({ code: 'E_INPUT_INVALID', message: `training data[0]: a label must be a non-empty string (got ${kind}).` });
      model.dispose();
    }
  });
});
