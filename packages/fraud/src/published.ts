/**
 * Published ADBench results (percent, mean of 3 seeds, stratified 70/30) from the NeurIPS 2022 paper,
 * Tables D4/D5 (unsupervised) and D18/D19 (fully labelled, gamma_l = 100%), as recorded in
 * $APPLIEDML_DATA_DIR/adbench/SOURCE.md and published_results_adbench_paper.csv. Each pair is [AUCROC, AUCPR].
 */
export type PublishedPair = readonly [aucroc: number, aucpr: number];

export interface PublishedRow {
  IForest: PublishedPair;
  ECOD: PublishedPair;
  COPOD: PublishedPair;
  MLP: PublishedPair;
  XGB: PublishedPair;
  CatB: PublishedPair;
}

export const ADBENCH_PUBLISHED: Readonly<Record<string, PublishedRow>> = {
  campaign: {
    IForest: [71.71, 32.26],
    ECOD: [76.78, 37.4],
    COPOD: [77.69, 38.58],
    MLP: [89.1, 51.6],
    XGB: [93.35, 58.63],
    CatB: [93.93, 60.96],
  },
  donors: {
    IForest: [77.68, 12.74],
    ECOD: [74.45, 14.17],
    COPOD: [81.76, 21.58],
    MLP: [100.0, 100.0],
    XGB: [100.0, 99.96],
    CatB: [100.0, 100.0],
  },
  mammography: {
    IForest: [86.39, 20.67],
    ECOD: [90.75, 41.28],
    COPOD: [90.69, 40.67],
    MLP: [95.17, 65.35],
    XGB: [93.63, 72.21],
    CatB: [95.95, 76.89],
  },
  shuttle: {
    IForest: [99.56, 97.62],
    ECOD: [99.4, 95.76],
    COPOD: [99.35, 96.56],
    MLP: [98.2, 96.66],
    XGB: [100.0, 99.99],
    CatB: [100.0, 100.0],
  },
  thyroid: {
    IForest: [98.3, 63.11],
    ECOD: [97.78, 54.05],
    COPOD: [94.3, 19.64],
    MLP: [99.78, 93.22],
    XGB: [99.96, 98.16],
    CatB: [99.97, 98.68],
  },
  cardio: {
    IForest: [93.19, 59.95],
    ECOD: [94.44, 68.59],
    COPOD: [92.35, 60.42],
    MLP: [99.44, 96.4],
    XGB: [99.49, 96.96],
    CatB: [99.61, 97.4],
  },
  annthyroid: {
    IForest: [82.01, 30.47],
    ECOD: [78.03, 24.65],
    COPOD: [76.8, 16.58],
    MLP: [98.62, 79.61],
    XGB: [99.57, 92.44],
    CatB: [99.55, 92.36],
  },
  'satimage-2': {
    IForest: [99.16, 93.45],
    ECOD: [97.11, 63.25],
    COPOD: [97.21, 76.55],
    MLP: [97.94, 90.87],
    XGB: [98.87, 95.09],
    CatB: [99.76, 96.43],
  },
};
