const conjunction = new Intl.ListFormat('en-GB', { type: 'conjunction' });

/**
 * Items joined as a sentence says them: 'a', 'a and b', 'a, b and c' (no comma before 'and'); '' for
 * none. The one joiner of the demos' messages (the built-in `Intl.ListFormat`, British English).
 */
export function andList(items: readonly string[]): string {
  return conjunction.format(items);
}
