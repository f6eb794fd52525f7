import pkg from '../package.json';

export const TEXT_PACKAGE = '@appliedml/text';
/** The package version, written into every bundle's manifest. */
export const TEXT_VERSION: string = pkg.version;
export const TEXT_TASK = 'text-classification';
