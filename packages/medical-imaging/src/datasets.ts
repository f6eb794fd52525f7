import type { DatasetSpec } from '@appliedml/engine';

/** PneumoniaMNIST (MedMNIST v2, CC BY 4.0), found under APPLIEDML_DATA_DIR/medmnist. */
export const PNEUMONIAMNIST_DATASET: DatasetSpec = {
  name: 'medmnist',
  files: [
    {
      path: 'pneumoniamnist_full_reconstructed.npz',
      sha256: '3bdc58eee9dc4d49cf5fec1bc07512b2a0e7c12531ff301951c36c39b95e6ae6',
    },
  ],
  howToGet:
    'PneumoniaMNIST (MedMNIST v2, Yang et al., Scientific Data 2023; CC BY 4.0): put pneumoniamnist.npz with the keys ' +
    'train_images/train_labels/val_images/val_labels/test_images/test_labels (28×28 uint8) into ' +
    '$APPLIEDML_DATA_DIR/medmnist/ as pneumoniamnist_full_reconstructed.npz (medmnist.com or Zenodo record 10519652).',
};

/** Kvasir-SEG polyp segmentation (Jha et al., MMM 2020; research and education only), under APPLIEDML_DATA_DIR/kvasir-seg. */
export const KVASIR_SEG_DATASET: DatasetSpec = {
  name: 'kvasir-seg',
  files: [{ path: 'images' }, { path: 'masks' }],
  howToGet:
    'Kvasir-SEG (Jha et al., MMM 2020; research and educational use only, no commercial use): download kvasir-seg.zip from ' +
    'datasets.simula.no/kvasir-seg and unpack images/ and masks/ into $APPLIEDML_DATA_DIR/kvasir-seg/.',
};

/** pydicom's public DICOM test files (MIT / GDCM BSD), under APPLIEDML_DATA_DIR/dicom-samples. */
export const DICOM_SAMPLES_DATASET: DatasetSpec = {
  name: 'dicom-samples',
  files: [{ path: 'dicom_info.json' }, { path: 'MR_small.dcm' }],
  howToGet:
    'pydicom test files (github.com/pydicom/pydicom src/pydicom/data/test_files and pydicom/pydicom-data; MIT): copy them and a ' +
    'dicom_info.json of reference statistics into $APPLIEDML_DATA_DIR/dicom-samples/.',
};
