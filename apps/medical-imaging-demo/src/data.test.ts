import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveDataset } from '@appliedml/engine';
import { PNEUMONIAMNIST_DATASET, readMedMnist } from '@appliedml/medical-imaging';
import { loadPneumonia, phantomClassification, phantomSegmentation, SOURCES } from './data';

// Review R2-5: with APPLIEDML_DATA_DIR unset, the offline note (which goes into the HTML report) said
// "APPLIEDML_DATA_DIR has no PneumoniaMNIST", as if the variable named a folder without it.
afterEach(() => vi.unstubAllEnvs());

describe('the offline notes', () => {
  it('say the variable is not set when it is not, and that the folder lacks the data set when it is', () => {
    vi.stubEnv('APPLIEDML_DATA_DIR', undefined);
    expect(phantomClassification(8, 8).note).toBe(
      'generated offline (APPLIEDML_DATA_DIR is not set); says nothing about medical performance.',
    );
    expect(phantomSegmentation(8, 8).note).toBe(
      'generated offline (APPLIEDML_DATA_DIR is not set); says nothing about medical performance.',
    );
    const dir = mkdtempSync(join(tmpdir(), 'mi-demo-data-'));
    try {
      vi.stubEnv('APPLIEDML_DATA_DIR', dir);
      expect(phantomClassification(8, 8).note).toBe(
        'generated offline (APPLIEDML_DATA_DIR has no PneumoniaMNIST); says nothing about medical performance.',
      );
      expect(phantomSegmentation(8, 8).note).toBe(
        'generated offline (APPLIEDML_DATA_DIR has no Kvasir-SEG); says nothing about medical performance.',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Review R5-9: the demo recorded PneumoniaMNIST as 'pneumoniamnist' where readMedMnist records 'medmnist'
// for the same data: one data set had two names in the bundles.
describe('the sources the demo records', () => {
  it("names PneumoniaMNIST as readMedMnist does (the SDK's name)", async () => {
    const file = (await resolveDataset(PNEUMONIAMNIST_DATASET)).files['pneumoniamnist_full_reconstructed.npz'] as string;
    const sdk = await readMedMnist(file);
    const demo = await loadPneumonia(10);
    expect(demo.train.source?.name).toBe(sdk.train.source?.name);
    expect(demo.train.source).toEqual(SOURCES.pneumoniamnist);
  });
});
