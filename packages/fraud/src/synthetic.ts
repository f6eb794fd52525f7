import { AppliedMLError, checkIntegerOption, checkKnownKeys, checkNumberOption, createRng, type Rng } from '@appliedml/engine';
import type { Transaction } from './stream';

/**
 * A generated stream of card transactions with three fraud patterns, flagged as SYNTHETIC:
 * card-testing bursts (many tiny charges at new merchants within minutes), account takeover
 * (a new country and new merchants, several large charges within an hour) and amount spikes
 * (one charge many times the card's usual amount). For demos and tests only: it is not real data.
 */
export interface SyntheticOptions {
  cards?: number;
  days?: number;
  /** Share of cards that suffer one fraud episode (default 0.05). */
  fraudCardShare?: number;
  seed?: number;
  start?: number;
}

export type FraudPattern = 'card-testing' | 'account-takeover' | 'amount-spike';

export interface SyntheticTransaction extends Transaction {
  timestamp: number;
  merchant: string;
  country: string;
  label: 0 | 1;
  pattern?: FraudPattern;
}

export const SYNTHETIC_NOTICE = 'SYNTHETIC data: a generated card-transaction stream with injected fraud patterns, not real transactions.';

const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NL', 'ES', 'IT', 'CA', 'BR', 'IN', 'NG', 'RU', 'CN', 'MX', 'PH'];

function normal(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Largest stream `generateTransactions` makes: cards × days (about 2 transactions per card and day). */
const MAX_CARD_DAYS = 5_000_000;
/** Latest millisecond a Date holds. */
const MAX_DATE_MS = 8.64e15;

export function generateTransactions(options: SyntheticOptions = {}): SyntheticTransaction[] {
  checkKnownKeys('generateTransactions options', options, ['cards', 'days', 'fraudCardShare', 'seed', 'start']);
  checkIntegerOption('cards', options.cards, 1, 1_000_000);
  checkNumberOption('days', options.days, 0, 36_500, { open: 'min' });
  checkNumberOption('fraudCardShare', options.fraudCardShare, 0, 1);
  checkNumberOption('start', options.start, -MAX_DATE_MS, MAX_DATE_MS - 36_501 * 86400e3);
  if ((options.cards ?? 500) * (options.days ?? 30) > MAX_CARD_DAYS)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `generateTransactions: ${options.cards ?? 500} cards × ${options.days ?? 30} days is over ${MAX_CARD_DAYS} card-days (about two transactions each).`,
      { details: { cards: options.cards ?? 500, days: options.days ?? 30 } },
    );
  const rng = createRng(options.seed ?? 7);
  const cards = options.cards ?? 500;
  const days = options.days ?? 30;
  const start = options.start ?? Date.UTC(2026, 9, 1);
  const share = options.fraudCardShare ?? 0.05;
  const out: SyntheticTransaction[] = [];
  for (let c = 0; c < cards; c++) {
    const card = `card-${String(c).padStart(5, '0')}`;
    const home = COUNTRIES[rng.nextInt(4)] as string;
    const mu = Math.log(15 + rng.next() * 60);
    const merchants = Array.from({ length: 4 + rng.nextInt(8) }, () => `m-${rng.nextInt(400)}`);
    const perDay = 0.5 + rng.next() * 3;
    let t = start + rng.next() * 86400e3;
    const end = start + days * 86400e3;
    while (t < end) {
      t += (-Math.log(Math.max(rng.next(), 1e-12)) / perDay) * 86400e3;
      if (t >= end) break;
      const hour = new Date(t).getUTCHours();
      if (hour < 6 && rng.next() < 0.7) continue; // fewer purchases at night
      out.push({
        card,
        amount: Math.round(Math.exp(mu + 0.6 * normal(rng)) * 100) / 100,
        timestamp: Math.round(t),
        merchant: rng.next() < 0.9 ? (merchants[rng.nextInt(merchants.length)] as string) : `m-${rng.nextInt(400)}`,
        country: rng.next() < 0.97 ? home : (COUNTRIES[rng.nextInt(COUNTRIES.length)] as string),
        label: 0,
      });
    }
    if (rng.next() < share) {
      const at = start + (days * 0.3 + rng.next() * days * 0.65) * 86400e3;
      const pattern: FraudPattern = (['card-testing', 'account-takeover', 'amount-spike'] as const)[rng.nextInt(3)] as FraudPattern;
      if (pattern === 'card-testing') {
        const n = 5 + rng.nextInt(10);
        for (let i = 0; i < n; i++) {
          out.push({
            card,
            amount: Math.round((0.5 + rng.next() * 2.5) * 100) / 100,
            timestamp: Math.round(at + i * (20 + rng.next() * 90) * 1000),
            merchant: `m-x${rng.nextInt(50)}`,
            country: home,
            label: 1,
            pattern,
          });
        }
      } else if (pattern === 'account-takeover') {
        const n = 3 + rng.nextInt(4);
        const country = COUNTRIES[4 + rng.nextInt(COUNTRIES.length - 4)] as string;
        for (let i = 0; i < n; i++) {
          out.push({
            card,
            amount: Math.round(Math.exp(mu + 1.5 + rng.next()) * 100) / 100,
            timestamp: Math.round(at + i * (2 + rng.next() * 10) * 60e3),
            merchant: `m-y${rng.nextInt(50)}`,
            country,
            label: 1,
            pattern,
          });
        }
      } else {
        out.push({
          card,
          amount: Math.round(Math.exp(mu) * (8 + rng.next() * 25) * 100) / 100,
          timestamp: Math.round(at),
          merchant: merchants[0] as string,
          country: home,
          label: 1,
          pattern,
        });
      }
    }
  }
  out.sort((a, b) => a.timestamp - b.timestamp || a.card.localeCompare(b.card));
  return out;
}
