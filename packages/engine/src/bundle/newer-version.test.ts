import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import { incompatibleIfNewer, isNewerVersion, unregisteredLayerHint } from './newer-version';

// A bundle saved by a newer version of an SDK, holding what the running one cannot read, is no damage:
// every SDK's load should say "saved by X, newer than this Y … upgrade" (E_BUNDLE_INCOMPATIBLE), not
// "corrupt". Traffic had its own comparison; fraud said E_BUNDLE_CORRUPT.

describe('isNewerVersion', () => {
  it('compares major, minor and patch as numbers', () => {
    expect(isNewerVersion('0.2.0', '0.1.9')).toBe(true);
    expect(isNewerVersion('0.10.0', '0.9.0')).toBe(true);
    expect(isNewerVersion('1.0.0', '0.99.99')).toBe(true);
    expect(isNewerVersion('0.1.1', '0.1.0')).toBe(true);
    expect(isNewerVersion('0.1.0', '0.1.0')).toBe(false);
    expect(isNewerVersion('0.1.0', '0.1.1')).toBe(false);
    expect(isNewerVersion('0.9.0', '0.10.0')).toBe(false);
  });

  it('ignores what follows the patch number, and is false for anything that is not a version', () => {
    expect(isNewerVersion('0.2.0-beta.1', '0.1.0')).toBe(true);
    expect(isNewerVersion('0.1.0-beta.1', '0.1.0')).toBe(false);
    for (const [a, b] of [
      ['not a version', '0.1.0'],
      ['0.2.0', 'x'],
      ['2', '1'],
      ['', '0.1.0'],
      ['v1.0.0', '0.1.0'],
    ] as const)
      expect(isNewerVersion(a, b), `${a} vs ${b}`).toBe(false);
    expect(isNewerVersion(undefined as unknown as string, '0.1.0')).toBe(false);
    expect(isNewerVersion(9 as unknown as string, '0.1.0')).toBe(false);
  });
});

describe('incompatibleIfNewer', () => {
  const dir = '/srv/models/fraud';
  const corrupt = () =>
    new AppliedMLError('E_BUNDLE_CORRUPT', `Fraud bundle ${dir}: its config is invalid (unknown detector 'lof').`, {
      details: { dir, file: 'manifest.json' },
    });

  it('turns a corrupt error from a newer version into E_BUNDLE_INCOMPATIBLE naming both versions', () => {
    const original = corrupt();
    const e = incompatibleIfNewer(original, { dir, package: '@appliedml/fraud', saved: '0.3.0', running: '0.1.0' });
    expect(AppliedMLError.hasCode(e, 'E_BUNDLE_INCOMPATIBLE')).toBe(true);
    expect((e as AppliedMLError).message).toBe(
      `Bundle ${dir} was saved by @appliedml/fraud 0.3.0, newer than this 0.1.0, which cannot read it (its config is invalid (unknown detector 'lof')). Upgrade @appliedml/fraud to 0.3.0 or later.`,
    );
    expect((e as AppliedMLError).details).toEqual({ dir, file: 'manifest.json', packageVersion: '0.3.0', version: '0.1.0' });
    expect((e as AppliedMLError).cause).toBe(original);
  });

  it('keeps a message whose folder is not led by words whole (only its final full stop goes)', () => {
    const original = new AppliedMLError('E_BUNDLE_CORRUPT', `Could not parse: ${dir}: bad.`);
    const e = incompatibleIfNewer(original, { dir, package: 'p', saved: '2.0.0', running: '1.0.0' }) as AppliedMLError;
    expect(e.message).toContain(`which cannot read it (Could not parse: ${dir}: bad). Upgrade p`);
  });

  it('cuts the custom-layer advice from a re-created loadBundle error too (a worker copy, another engine copy)', () => {
    // Not the object loadBundle threw, so no parts were kept for it: its details.layer says which advice to cut.
    const bundle = '/models/m';
    const copy = new AppliedMLError(
      'E_BUNDLE_CORRUPT',
      `Bundle ${bundle}: model 'main' could not be rebuilt: Unknown layer: FutureDense. ${unregisteredLayerHint('FutureDense')}`,
      { details: { dir: bundle, model: 'main', layer: 'FutureDense', packageVersion: '9.0.0' } },
    );
    const e = incompatibleIfNewer(copy, { dir: bundle, package: '@appliedml/x', running: '1.0.0' }) as AppliedMLError;
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toBe(
      `Bundle ${bundle} was saved by @appliedml/x 9.0.0, newer than this 1.0.0, which cannot read it (model 'main' could not be rebuilt: Unknown layer: FutureDense). Upgrade @appliedml/x to 9.0.0 or later.`,
    );
    expect(e.message).not.toContain('registerClass');
    // Advice about another layer than details.layer is not this function's to cut.
    const other = new AppliedMLError('E_BUNDLE_CORRUPT', `Bundle ${bundle}: odd. ${unregisteredLayerHint('Other')}`, {
      details: { layer: 'FutureDense', packageVersion: '9.0.0' },
    });
    expect((incompatibleIfNewer(other, { dir: bundle, package: 'p', running: '1.0.0' }) as AppliedMLError).message).toContain(
      'registerClass(Other)',
    );
  });

  it('returns every other error as given', () => {
    const versions = { dir, package: '@appliedml/fraud', running: '0.1.0' };
    const original = corrupt();
    for (const saved of ['0.1.0', '0.0.9', 'not a version', undefined, 3])
      expect(incompatibleIfNewer(original, { ...versions, saved })).toBe(original);
    const other = new AppliedMLError('E_BUNDLE_MISSING', 'gone');
    expect(incompatibleIfNewer(other, { ...versions, saved: '9.0.0' })).toBe(other);
    const plain = new Error('boom');
    expect(incompatibleIfNewer(plain, { ...versions, saved: '9.0.0' })).toBe(plain);
  });
});
