import type { TextExplanation } from '@appliedml/text';

/** Words shown in an explanation. */
export const TOP_WORDS = 8;

/** What POST /predict answers. */
export interface PredictAnswer {
  label: string;
  labels: string[];
  scores: Record<string, number>;
  explanation: Pick<TextExplanation, 'method' | 'tokens' | 'features'>;
}

export function toAnswer(explanation: TextExplanation): PredictAnswer {
  const { tokens, features, method, label, labels, scores } = explanation;
  return { label, labels, scores, explanation: { method, tokens, ...(features ? { features } : {}) } };
}
