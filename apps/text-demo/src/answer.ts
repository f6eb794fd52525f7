import type { TextClassifier, TextExplanation, TokenWeight } from '@appliedml/text';

/** Words shown in an explanation. */
export const TOP_WORDS = 8;

/**
 * What a word's weight measures, by `explanation.method` (positive: the word pushed towards the label).
 * Linear and naive Bayes models: the word's share of its features' contributions to the label's logit (less
 * the labels' mean). fastText and the CNN: how much the label's log-odds fall when the word is left out
 * (often 2–20 on a confident prediction), so the two kinds of number do not compare.
 */
export const WEIGHT_UNITS: Record<TextExplanation['method'], string> = {
  'linear-contributions': "contribution to the label's logit",
  occlusion: "fall in the label's log-odds without the word",
};

/** The words and their weights for the CLI, saying what the weights are: `words (unit; method): a +1.23, b -0.40`. */
export function wordsLine(method: TextExplanation['method'], tokens: readonly TokenWeight[], digits: number): string {
  const words = tokens.map((t) => `${t.token} ${t.weight > 0 ? '+' : ''}${t.weight.toFixed(digits)}`).join(', ');
  return `words (${WEIGHT_UNITS[method]}; ${method}): ${words}`;
}

/** What POST /predict answers. */
export interface PredictAnswer {
  label: string;
  labels: string[];
  scores: Record<string, number>;
  explanation: Pick<TextExplanation, 'method' | 'tokens' | 'features'> & {
    /** Set when the text is longer than MAX_EXPLAINED_CHARS: how many of its first characters were explained. */
    explainedChars?: number;
  };
}

export function toAnswer(explanation: TextExplanation): PredictAnswer {
  const { tokens, features, method, label, labels, scores } = explanation;
  return { label, labels, scores, explanation: { method, tokens, ...(features ? { features } : {}) } };
}

/**
 * Longest part of a text that POST /predict explains (characters). The label and scores are always the
 * whole text's; a longer text has its first MAX_EXPLAINED_CHARS characters (cut at a space) explained
 * for that label, so one request's cost stays bounded (a 1 MB text took 5 s to explain).
 */
export const MAX_EXPLAINED_CHARS = 20_000;

/** The text's prediction and the explanation of (at most the first MAX_EXPLAINED_CHARS characters of) it. */
export async function answerFor(model: TextClassifier, text: string): Promise<PredictAnswer> {
  if (typeof text !== 'string' || text.length <= MAX_EXPLAINED_CHARS) return toAnswer(await model.explain(text, { top: TOP_WORDS }));
  const { label, labels, scores } = await model.predict(text);
  const head = explainedPart(text);
  if (head.trim() === '')
    return {
      label,
      labels,
      scores,
      explanation: {
        method: model.config.model === 'linear' || model.config.model === 'naive-bayes' ? 'linear-contributions' : 'occlusion',
        tokens: [],
        explainedChars: 0,
      },
    };
  const { method, tokens, features } = await model.explain(head, { label, top: TOP_WORDS });
  return { label, labels, scores, explanation: { method, tokens, ...(features ? { features } : {}), explainedChars: head.length } };
}

/** The first MAX_EXPLAINED_CHARS characters, cut after the last whitespace in them (never inside a surrogate pair). */
export function explainedPart(text: string): string {
  let cut = MAX_EXPLAINED_CHARS;
  const space = text.slice(0, cut + 1).search(/\s\S*$/);
  if (space > 0) cut = space;
  else if (/[\uD800-\uDBFF]/.test(text.charAt(cut - 1))) cut--;
  return text.slice(0, cut);
}
