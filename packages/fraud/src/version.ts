export const FRAUD_PACKAGE = '@appliedml/fraud';
export const FRAUD_VERSION = '0.1.0';
export const FRAUD_TASK = 'fraud-detection';
