import type { DatasetSpec } from '@appliedml/engine';

/** The SMS Spam Collection v.1 (Almeida et al. 2011), found under APPLIEDML_DATA_DIR/sms-spam. */
export const SMS_SPAM_DATASET: DatasetSpec = {
  name: 'sms-spam',
  files: [{ path: 'SMSSpamCollection.tsv', sha256: '7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d' }],
  howToGet:
    'SMS Spam Collection v.1 (Almeida, Gómez Hidalgo, Yamakami, DocEng 2011; "free for all purposes"): download it from the UCI ML Repository, ' +
    'and put the file SMSSpamCollection (renamed SMSSpamCollection.tsv) in $APPLIEDML_DATA_DIR/sms-spam/.',
};

/** TREC question classification (Li & Roth 2002), found under APPLIEDML_DATA_DIR/trec. */
export const TREC_DATASET: DatasetSpec = {
  name: 'trec',
  files: [
    { path: 'train_5500.label', sha256: '9e4c8bdcaffb96ed61041bd64b564183d52793a8e91d84fc3a8646885f466ec3' },
    { path: 'TREC_10.label', sha256: '033f22c028c2bbba9ca682f68ffe204dc1aa6e1cf35dd6207f2d4ca67f0d0e8e' },
  ],
  howToGet:
    'TREC question classification (Li & Roth, COLING 2002; research use with citation): download train_5500.label and TREC_10.label ' +
    'from the cogcomp QC page (cogcomp.seas.upenn.edu/Data/QA/QC/) into $APPLIEDML_DATA_DIR/trec/.',
};
