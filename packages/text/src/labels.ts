import { AppliedMLError } from '@appliedml/engine';

/**
 * Internal (not exported from the package): what a label may be, and the one form it is kept in.
 *
 * A label is trimmed and put in Unicode NFC form, as texts are: 'café' typed as one code point and as
 * 'e' + a combining accent is one label (they were two, printed alike). A label holding a control
 * character (a tab, a line break, NUL) or one of the invisible characters that only make two labels that
 * print alike differ, zero-width space U+200B and word joiner U+2060 (a BOM U+FEFF is trimmed away as
 * white space, and refused inside), is refused: 'tea' and 'tea' + U+200B were two labels. The joiners
 * that spell words and emoji (ZWJ U+200D in 👨‍👩‍👧, ZWNJ U+200C in Persian) are kept.
 */
const HIDDEN = /[\p{Cc}\u200B\u2060\uFEFF]/u;
const HIDDEN_ALL = /[\p{Cc}\u200B\u2060\uFEFF]/gu;

const NAMES: Record<string, string> = {
  '\u200B': 'a zero-width space',
  '\u2060': 'a word joiner',
  '\uFEFF': 'a byte order mark',
  '\t': 'a tab',
  '\n': 'a line break',
  '\r': 'a carriage return',
};

/** `label` as messages show it: the hidden characters written as \uXXXX. */
function shown(label: string): string {
  return label.replace(HIDDEN_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
}

/**
 * Internal: E_INPUT_INVALID when the label (a non-empty string) holds a control or invisible character;
 * `where` starts the message (`training data[3]`, `file.csv:4`), `details` go with it.
 */
export function checkLabelCharacters(label: string, where: string, details: Record<string, unknown>): void {
  const found = HIDDEN.exec(label.trim());
  if (found === null) return;
  const c = found[0];
  const code = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  const name = NAMES[c] ?? 'a control character';
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `${where}: the label '${shown(label.trim())}' holds ${name} (${code}), which does not print: two labels that look the same would differ. Remove it.`,
    { details: { ...details, label, character: code } },
  );
}

/** Internal: the form a label is kept in, trimmed and NFC (a checked label). */
export function normalizeLabel(label: string): string {
  return label.trim().normalize('NFC');
}

/**
 * Internal: where a label name the caller gave (explain's `label`, evaluate's `positiveLabel`) is in
 * `labels` (the model's, as trained or as saved), or -1. The name itself first, so a bundle saved before
 * labels were checked still finds a label it holds with a tab or U+200B; then by trimmed NFC form on both
 * sides, so an NFD name finds the NFC label and an NFC name the NFD label of a bundle saved before. A name
 * found neither way that holds a control or invisible character is refused, naming the character.
 */
export function findLabel(labels: readonly string[], given: string, where: string, details: Record<string, unknown>): number {
  const exact = labels.indexOf(given);
  if (exact >= 0) return exact;
  const form = normalizeLabel(given);
  const k = labels.findIndex((l) => normalizeLabel(l) === form);
  if (k >= 0) return k;
  if (given.trim() !== '') checkLabelCharacters(given, where, details);
  return -1;
}

/**
 * Internal: train's `classWeight` with its names put in the form labels are kept in (trimmed, NFC), so
 * names written as the training labels were (an NFD 'café' in both) match. Anything but a plain object is
 * returned as it is, for the engine's resolveClassWeights to judge. A name holding a control or invisible
 * character is refused (no training label holds one); two names of one label with different weights are
 * refused, naming both.
 */
export function normalizeClassWeightNames(option: unknown): unknown {
  if (option === null || typeof option !== 'object' || Array.isArray(option)) return option;
  // No prototype: a label named '__proto__' stays an own key.
  const out = Object.create(null) as Record<string, unknown>;
  const namedAs = new Map<string, string>();
  for (const [name, weight] of Object.entries(option as Record<string, unknown>)) {
    if (name.trim() !== '') checkLabelCharacters(name, 'classWeight', { field: 'classWeight' });
    const form = normalizeLabel(name);
    const earlier = namedAs.get(form);
    if (earlier !== undefined && !Object.is(out[form], weight))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `classWeight names the label '${form}' twice with different weights ('${shown(earlier)}': ${String(out[form])}, '${shown(name)}': ${String(weight)}), written differently (spaces around it, or composed and decomposed accents).`,
        { details: { field: 'classWeight', names: [earlier, name] } },
      );
    namedAs.set(form, name);
    out[form] = weight;
  }
  return out;
}
