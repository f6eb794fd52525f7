// What is wrong with a header (or a record's field names) that lacks columns a reader needs, for the
// reader's own refusal: the columns missing, and what probably went wrong, a file separated by another
// delimiter than the one read with or a column named a little differently.

/** The delimiters files commonly use instead of a comma: ';' (spreadsheets in many locales), tab and '|'. */
const USUAL_DELIMITERS = [';', '\t', '|'] as const;

/**
 * Of the usual delimiters ';', tab and '|', the first that `text` holds, other than `given` (the one the
 * file was read with; a comma when undefined); undefined when it holds none.
 */
export function otherDelimiterIn(text: string, given: string | undefined): string | undefined {
  return USUAL_DELIMITERS.find((d) => d !== (given ?? ',') && text.includes(d));
}

export interface MissingColumnsOptions {
  /** The delimiter the file was read with (default ','): never suggested as the other one. */
  delimiter?: string;
  /**
   * How a near name is looked for. Always: a column equal to the missing name but for case and surrounding
   * spaces ('Text', ' label '). With `contains: true`, when there is none, also a column that holds the
   * name, in any case ('card_id', 'Amount_EUR' for 'card', 'amount').
   */
  contains?: boolean;
}

export interface MissingColumns {
  /** The required names `columns` lacks, in the order they were required. */
  missing: string[];
  /**
   * When `columns` is one column holding ';', tab or '|' (not the delimiter read with): that delimiter.
   * The file is probably separated by it, so the names are not looked at for near ones.
   */
  otherDelimiter?: string;
  /** For each missing name a column that is probably it (see `MissingColumnsOptions.contains`); none when `otherDelimiter` is set. */
  near: Map<string, string>;
}

const normal = (name: string): string => name.trim().toLowerCase();

/**
 * The names of `required` that `columns` (a CSV header's names, or the fields of a JSON record) lacks,
 * matched exactly (case and spaces), with what a message can tell the user about them: another delimiter
 * the header was probably meant to be split at (`otherDelimiter`: a one-column header holding ';', tab or
 * '|'), or else, for each missing name, a column named nearly so (`near`). Undefined when none is missing.
 * The wording is the caller's: `readCsv`'s typed columns, a loader's required columns, a demo's file.
 *
 * ```ts
 * missingColumns(['Text', 'label'], ['text', 'label']);
 * // { missing: ['text'], near: Map { 'text' => 'Text' } }
 * missingColumns(['text;label'], ['text', 'label']);
 * // { missing: ['text', 'label'], otherDelimiter: ';', near: Map {} }
 * ```
 */
export function missingColumns(
  columns: readonly string[],
  required: readonly string[],
  options: MissingColumnsOptions = {},
): MissingColumns | undefined {
  const { delimiter, contains } = options ?? {};
  const present = new Set(columns);
  const missing = required.filter((name) => !present.has(name));
  if (missing.length === 0) return undefined;
  const near = new Map<string, string>();
  const otherDelimiter = columns.length === 1 ? otherDelimiterIn(columns[0] as string, delimiter) : undefined;
  if (otherDelimiter !== undefined) return { missing, otherDelimiter, near };
  for (const name of missing) {
    const wanted = normal(name);
    const found =
      columns.find((column) => normal(column) === wanted) ??
      (contains === true && wanted !== '' ? columns.find((column) => column.toLowerCase().includes(wanted)) : undefined);
    if (found !== undefined) near.set(name, found);
  }
  return { missing, near };
}
