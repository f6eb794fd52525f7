import { describe, expect, it } from 'vitest';
import { loadTransactions } from './data';
import { htmlTable, renderHtmlReport } from './report';

describe('fraud demo', () => {
  it('renders an HTML report with ROC and PR curves', () => {
    const labels = [0, 0, 1, 0, 1, 0];
    const scores = [0.1, 0.2, 0.9, 0.3, 0.4, 0.5];
    const html = renderHtmlReport('t', ['SYNTHETIC'], htmlTable(['a'], [['<b>']]), [
      { title: 'x', labels, scores, aucroc: 0.75, aucpr: 0.8 },
    ]);
    expect(html).toContain('<svg');
    expect(html.match(/<path /g)).toHaveLength(2);
    expect(html).toContain('&#60;b&#62;');
    expect(html).toContain('AUCROC 75.00');
  });

  it('the embedded default is the synthetic stream and says so', async () => {
    const d = await loadTransactions('synthetic');
    expect(d.synthetic).toBe(true);
    expect(d.source).toMatch(/SYNTHETIC/);
    await expect(loadTransactions('data.parquet')).rejects.toMatchObject({ code: 'E_FORMAT_UNSUPPORTED' });
  });
});
