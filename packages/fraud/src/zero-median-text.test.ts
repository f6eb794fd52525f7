import { describe, expect, it } from 'vitest';
import { describe as describeScore } from './scorer';
import { TransactionFeatures } from './stream';

const T0 = Date.UTC(2026, 0, 1);
const reason = { score: 1, isFraud: true, reasons: [{ feature: 'amount_vs_card_median', share: 1, text: '' }] };

/** The reason text for `amount` after `earlier` amounts on one card. */
function textAfter(earlier: number[], amount: number): string {
  const f = new TransactionFeatures();
  earlier.forEach((a, i) => f.update({ card: 'c', amount: a, timestamp: T0 + i * 60e3 }));
  const row = f.peek({ card: 'c', amount, timestamp: T0 + earlier.length * 60e3 });
  return describeScore(reason, row, {}).reasons[0]!.text;
}

describe("the amount against a card's median", () => {
  it('a card whose median is $0 (zero-amount verifications) reads the amount, not 50000× a median it does not have', () => {
    expect(textAfter([0, 0, 0], 500)).toBe("amount 500.00; this card's median is 0.01 or less (100% of the evidence)");
    expect(textAfter([0, 0, 0.01], 900)).toBe("amount 900.00; this card's median is 0.01 or less (100% of the evidence)");
    expect(textAfter([0, 0.01, 0.01], 2.5)).toBe("amount 2.50; this card's median is 0.01 or less (100% of the evidence)");
  });

  it('other medians read as a ratio, as before', () => {
    expect(textAfter([10, 10, 10], 880)).toBe("amount 88× this card's median (100% of the evidence)");
    expect(textAfter([0.02, 0.02, 0.02], 500)).toBe("amount 25000× this card's median (100% of the evidence)");
    expect(textAfter([50, 50, 50], 0)).toBe("amount 0.0× this card's median (100% of the evidence)");
    expect(textAfter([0, 0, 0], 0)).toBe("amount 1.0× this card's median (100% of the evidence)");
  });
});
