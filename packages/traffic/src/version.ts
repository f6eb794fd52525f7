export const PACKAGE_NAME = '@appliedml/traffic';
export const PACKAGE_VERSION = '0.1.0';
