import { join } from 'node:path';
import {
  AppliedMLError,
  checkKnownKeys,
  describeValue,
  readNpz,
  RESOLVE_DATASET_OPTION_NAMES,
  resolveDataset,
  type DatasetSpec,
  type ResolveDatasetOptions,
} from '@appliedml/engine';
import type { Matrix } from './matrix';

export const ADBENCH_SPEC_NAME = 'adbench';

export const ADBENCH_HOW_TO_GET =
  'ADBench classical sets (Han et al., NeurIPS 2022, BSD-2-Clause repo; each set keeps its original licence): copy ' +
  '<n>_<name>.npz from https://github.com/Minqi824/ADBench adbench/datasets/Classical/ into $APPLIEDML_DATA_DIR/adbench/.';

export const ADBENCH_FILES: Record<string, string> = {
  campaign: '5_campaign.npz',
  donors: '11_donors.npz',
  mammography: '23_mammography.npz',
  shuttle: '32_shuttle.npz',
  thyroid: '38_thyroid.npz',
  cardio: '6_cardio.npz',
  annthyroid: '2_annthyroid.npz',
  'satimage-2': '31_satimage-2.npz',
};

export type AdbenchName = keyof typeof ADBENCH_FILES;

export interface LabelledMatrix {
  x: Matrix;
  y: Uint8Array;
}

/** Loads one ADBench set through APPLIEDML_DATA_DIR (E_DATASET_MISSING with instructions when absent). */
export async function loadAdbench(name: string, options: ResolveDatasetOptions = {}): Promise<LabelledMatrix> {
  checkKnownKeys('loadAdbench options', options, RESOLVE_DATASET_OPTION_NAMES);
  // Own names only: 'constructor' or 'toString' are not sets.
  const file = typeof name === 'string' && Object.hasOwn(ADBENCH_FILES, name) ? ADBENCH_FILES[name] : undefined;
  if (!file) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `Unknown ADBench set ${typeof name === 'string' ? `'${name}'` : describeValue(name)}. Known: ${Object.keys(ADBENCH_FILES).join(', ')}.`,
      { details: { field: 'name' } },
    );
  }
  const spec: DatasetSpec = { name: ADBENCH_SPEC_NAME, files: [{ path: file }], howToGet: ADBENCH_HOW_TO_GET };
  const resolved = await resolveDataset(spec, options);
  return readLabelledNpz(resolved.files[file] ?? join(resolved.root, file));
}

/** Reads an `.npz` with X (rows × cols) and y (0/1 per row) into a matrix and labels. */
export async function readLabelledNpz(path: string | Uint8Array): Promise<LabelledMatrix> {
  const arrays = await readNpz(path);
  const X = arrays.X;
  const y = arrays.y;
  const where = typeof path === 'string' ? path : '<bytes>';
  if (!X || !y)
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `${where}: an .npz with arrays X and y is expected.`, {
      details: { arrays: Object.keys(arrays) },
    });
  if (X.shape.length !== 2 || y.shape.length !== 1 || X.shape[0] !== y.shape[0]) {
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `${where}: X must be rows × cols and y one label per row (got ${X.shape.join('×')} and ${y.shape.join('×')}).`,
    );
  }
  const [rows, cols] = X.shape as [number, number];
  if (rows === 0 || cols === 0)
    throw new AppliedMLError('E_INPUT_INVALID', `${where}: X is ${rows}×${cols}; it needs at least one row and one column.`, {
      details: { rows, cols },
    });
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    const v = Number(X.data[i]);
    // A detector would refuse it later with no file to name: say where it is now.
    if (!Number.isFinite(v))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `${where}: X[${Math.floor(i / cols)}, ${i % cols}] is ${v}; values must be finite numbers.`,
        {
          details: { row: Math.floor(i / cols), col: i % cols },
        },
      );
    data[i] = v;
  }
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = Number(y.data[i]);
    if (v !== 0 && v !== 1)
      throw new AppliedMLError('E_INPUT_INVALID', `${where}: y[${i}] is ${v}; labels must be 0 or 1.`, { details: { row: i } });
    labels[i] = v;
  }
  return { x: { data, rows, cols }, y: labels };
}
