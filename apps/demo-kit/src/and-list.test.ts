import { describe, expect, it } from 'vitest';
import { andList } from './index';

// The 'a, b and c' joiner was written by hand in the kit and in the CLIs; the kit exports one.
describe('andList', () => {
  it("joins as a sentence says them: no comma before 'and'", () => {
    expect(andList([])).toBe('');
    expect(andList(['a'])).toBe('a');
    expect(andList(['a', 'b'])).toBe('a and b');
    expect(andList(['a', 'b', 'c'])).toBe('a, b and c');
    expect(andList(['--time-zone', '--delimiter', '--time-column', '--sensors'])).toBe(
      '--time-zone, --delimiter, --time-column and --sensors',
    );
  });

  it('leaves the items as they are (quotes, commas, the word and)', () => {
    expect(andList(["'label'", "'is_fraud'", '1 more'])).toBe("'label', 'is_fraud' and 1 more");
    expect(andList(['a, b', 'c and d'])).toBe('a, b and c and d');
  });
});
