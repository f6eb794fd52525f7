import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AppliedMLError,
  checkKnownKeys,
  RESOLVE_DATASET_OPTION_NAMES,
  resolveDataset,
  type DatasetSpec,
  type ResolveDatasetOptions,
} from '@appliedml/engine';

/** The Free Spoken Digit Dataset (FSDD v1.0.10, CC BY-SA 4.0), found under APPLIEDML_DATA_DIR/fsdd. */
export const FSDD_DATASET: DatasetSpec = {
  name: 'fsdd',
  files: [{ path: 'recordings' }],
  howToGet:
    'Free Spoken Digit Dataset (Jackson et al., CC BY-SA 4.0): clone https://github.com/Jakobovski/free-spoken-digit-dataset (tag v1.0.10) ' +
    'and copy its recordings/ folder (files {digit}_{speaker}_{index}.wav) to $APPLIEDML_DATA_DIR/fsdd/recordings/.',
};

export interface FsddRecording {
  /** Absolute path of the WAV file. */
  path: string;
  /** The spoken digit, '0'–'9'. */
  label: string;
  speaker: string;
  /** Recording index; 0–4 are the official test split. */
  index: number;
}

const NAME = /^(\d)_([a-z]+)_(\d+)\.wav$/;

/** Every FSDD recording, sorted by speaker, digit and index. Missing data → E_DATASET_MISSING. */
export async function readFsdd(options: ResolveDatasetOptions = {}): Promise<FsddRecording[]> {
  checkKnownKeys('readFsdd options', options, RESOLVE_DATASET_OPTION_NAMES);
  const resolved = await resolveDataset(FSDD_DATASET, options);
  const dir = resolved.files.recordings as string;
  const names = await readdir(dir);
  const out: FsddRecording[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    out.push({ path: join(dir, name), label: m[1] as string, speaker: m[2] as string, index: Number(m[3]) });
  }
  if (out.length === 0) {
    throw new AppliedMLError(
      'E_DATASET_MISSING',
      `${dir} holds no FSDD recordings ({digit}_{speaker}_{index}.wav). ${FSDD_DATASET.howToGet}`,
      {
        details: { dir },
      },
    );
  }
  return out.sort((a, b) => a.speaker.localeCompare(b.speaker) || a.label.localeCompare(b.label) || a.index - b.index);
}

/** The dataset's official split: indices 0–4 of each digit and speaker are test. */
export function fsddOfficialSplit(recordings: FsddRecording[]): { train: FsddRecording[]; test: FsddRecording[] } {
  if (!Array.isArray(recordings))
    throw new AppliedMLError('E_INPUT_INVALID', 'fsddOfficialSplit needs the list of recordings readFsdd returns.', {
      details: { field: 'recordings' },
    });
  // Every index, holes included: a record without a whole-number index fell out of both sides unnoticed.
  for (let i = 0; i < recordings.length; i++) {
    const r: unknown = recordings[i];
    const index = r !== null && typeof r === 'object' ? (r as { index?: unknown }).index : undefined;
    if (!(Number.isInteger(index) && (index as number) >= 0))
      throw new AppliedMLError('E_INPUT_INVALID', `recordings[${i}] needs a recording index, a whole number ≥ 0.`, {
        details: { field: 'recordings', index: i },
      });
  }
  return { train: recordings.filter((r) => r.index >= 5), test: recordings.filter((r) => r.index < 5) };
}
