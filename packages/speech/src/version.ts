import pkg from '../package.json';

export const SPEECH_PACKAGE = '@appliedml/speech';
/** The package version, written into every bundle's manifest. */
export const SPEECH_VERSION: string = pkg.version;
export const SPEECH_TASK = 'speech-recognition';
