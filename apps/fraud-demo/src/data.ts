import { readFile } from 'node:fs/promises';
import { AppliedMLError, parseNumberCell, readCsvAll } from '@appliedml/engine';
import { SYNTHETIC_NOTICE, generateTransactions, readLabels, type Transaction } from '@appliedml/fraud';

export interface LabelledTransactions {
  txs: Transaction[];
  labels?: number[];
  synthetic: boolean;
  source: string;
}

/**
 * 'synthetic' (the embedded default, its times in `timeUnit`: a seconds model gets Unix seconds), or a
 * .jsonl / .csv of transactions (card, amount, timestamp, merchant?, country?, label?).
 */
export async function loadTransactions(spec: string, seed = 7, timeUnit: 'ms' | 's' = 'ms'): Promise<LabelledTransactions> {
  if (spec === 'synthetic') {
    const generated = generateTransactions({ cards: 600, days: 30, seed });
    const txs = timeUnit === 's' ? generated.map((t) => ({ ...t, timestamp: Math.floor(t.timestamp / 1000) })) : generated;
    return { txs, labels: txs.map((t) => t.label), synthetic: true, source: SYNTHETIC_NOTICE };
  }
  let rows: Array<Record<string, unknown>>;
  const lower = spec.toLowerCase();
  if (lower.endsWith('.jsonl')) {
    const text = await readFile(spec, 'utf8').catch((cause: unknown) => {
      throw new AppliedMLError('E_IO', `Cannot read ${spec}.`, { cause });
    });
    rows = text
      .replace(/^\uFEFF/, '') // a byte-order mark some editors and Windows tools write
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l, i) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch (cause) {
          throw new AppliedMLError('E_INPUT_INVALID', `${spec}: line ${i + 1} is not JSON.`, {
            cause,
            details: { file: spec, line: i + 1 },
          });
        }
      });
  } else if (lower.endsWith('.csv')) {
    rows = (await readCsvAll(spec, { columns: { amount: 'number' } })) as Array<Record<string, unknown>>;
  } else throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `Use 'synthetic', a .jsonl or a .csv file (got ${spec}).`);
  // Labelled when any row carries a label; then every row must (a gap is an error naming its row, not
  // a silent 'normal' and not a file quietly treated as unlabelled).
  const hasLabels = rows.some((r) => r.label !== undefined && r.label !== null && r.label !== '');
  const txs = rows.map(toTransaction);
  const labels = hasLabels
    ? Array.from(
        readLabels(
          rows.map((r) => r.label),
          rows.length,
          `transactions in ${spec}`,
        ),
      )
    : undefined;
  return { txs, ...(labels ? { labels } : {}), synthetic: false, source: spec };
}

const absent = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/**
 * One transaction from a parsed row (a CSV row or a JSON object): amounts given as decimal text become
 * numbers and anything else reaches the SDK as it came, which refuses it naming the value (Number() would
 * read '' as 0 and '0x10' as 16); epoch milliseconds given as text become numbers; a blank or null
 * merchant / country is absent, not the text 'null'.
 */
export function toTransaction(r: Record<string, unknown>): Transaction {
  if (typeof r !== 'object' || r === null || Array.isArray(r))
    throw new AppliedMLError('E_INPUT_INVALID', `A transaction is an object with card, amount and timestamp (got ${JSON.stringify(r)}).`);
  return {
    card: String(r.card ?? ''),
    amount: (typeof r.amount === 'string' ? (parseNumberCell(r.amount) ?? r.amount) : r.amount) as number,
    // An absent timestamp stays absent, so the SDK's message says so (not "got a string").
    timestamp: (typeof r.timestamp === 'number' || absent(r.timestamp)
      ? r.timestamp
      : /^\s*-?\d+(\.\d+)?\s*$/.test(String(r.timestamp))
        ? Number(r.timestamp)
        : String(r.timestamp)) as Transaction['timestamp'],
    ...(!absent(r.merchant) ? { merchant: String(r.merchant) } : {}),
    ...(!absent(r.country) ? { country: String(r.country) } : {}),
  };
}
