/**
 * ROUGE-L as Super-NaturalInstructions scores generations (`eval/automatic/compute_metrics.py` in
 * allenai/natural-instructions): rouge_score's `RougeScorer(["rougeL"], use_stemmer=True)`, the F-measure of the
 * longest common subsequence, the maximum over an instance's references, and the mean over instances times 100.
 */

import { porterStem } from "./porter-stemmer.js";

/**
 * Tokenizes as rouge_score's default tokenizer (`rouge_score/tokenize.py`): lowercase, every run of characters
 * outside `[a-z0-9]` becomes a space, tokens longer than 3 characters are Porter-stemmed, empty tokens are dropped.
 */
export function rougeTokenize(text: string): string[] {
  const spaced = text.toLowerCase().replace(/[^a-z0-9]+/g, " ");
  const tokens = spaced.split(/\s+/).map((token) => (token.length > 3 ? porterStem(token) : token));
  return tokens.filter((token) => /^[a-z0-9]+$/.test(token));
}

/** Length of the longest common subsequence of two token lists. */
export function longestCommonSubsequence(a: readonly string[], b: readonly string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      current[j] = a[i - 1] === b[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** ROUGE-L of one prediction against one reference, in [0, 1]; an empty side scores 0 as in rouge_score. */
export function rougeL(prediction: string, reference: string): RougeScore {
  const predictionTokens = rougeTokenize(prediction);
  const referenceTokens = rougeTokenize(reference);
  if (predictionTokens.length === 0 || referenceTokens.length === 0) {
    return { precision: 0, recall: 0, fmeasure: 0 };
  }
  const common = longestCommonSubsequence(referenceTokens, predictionTokens);
  const precision = common / predictionTokens.length;
  const recall = common / referenceTokens.length;
  const fmeasure = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, fmeasure };
}

/** Maximum ROUGE-L F-measure of a prediction over its references, in [0, 1]. */
export function rougeLMaxOverReferences(prediction: string, references: readonly string[]): number {
  if (references.length === 0) throw new Error(`No reference to score the prediction "${prediction}" against.`);
  return Math.max(...references.map((reference) => rougeL(prediction, reference).fmeasure));
}

/**
 * Mean ROUGE-L over instances, times 100 and rounded to 4 decimals as compute_metrics.py reports it.
 * `references[i]` lists every acceptable output of instance `i`.
 */
export function rougeLScore(predictions: readonly string[], references: readonly (readonly string[])[]): number {
  if (predictions.length !== references.length) {
    throw new Error(`${predictions.length} predictions but ${references.length} reference lists; they must match.`);
  }
  if (predictions.length === 0) throw new Error("Cannot compute ROUGE-L over zero instances.");
  let total = 0;
  predictions.forEach((prediction, i) => {
    total += rougeLMaxOverReferences(prediction, references[i]!);
  });
  return roundTo((100 * total) / predictions.length, 4);
}

/**
 * Rounds to `digits` decimals like Python's `round`, both working on the exact binary value.
 * NOTE: an exact binary tie rounds up here but to even in Python; scores practically never hit one.
 */
export function roundTo(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
