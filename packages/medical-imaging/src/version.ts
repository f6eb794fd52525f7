import pkg from '../package.json';

export const MEDICAL_IMAGING_PACKAGE = '@appliedml/medical-imaging';
/** The package version, written into every bundle's manifest. */
export const MEDICAL_IMAGING_VERSION: string = pkg.version;
