/**
 * Accuracy and MetaICL's score. MetaICL (Min et al. 2022; `MetaICLData.evaluate` in facebookresearch/MetaICL,
 * metaicl/data.py) scores a classification task by macro-F1 and every other task by accuracy.
 * Its conventions are reproduced here. Predictions and references are whitespace-stripped and compared exactly.
 * The F1 average runs only over the classes that occur in the references. A class never predicted gets
 * precision 1.0, and a predicted class absent from the references adds no term.
 */

function requireSameLength(predictions: readonly unknown[], references: readonly unknown[]): void {
  if (predictions.length !== references.length) {
    throw new Error(`${predictions.length} predictions but ${references.length} references; they must match.`);
  }
  if (predictions.length === 0) throw new Error("Cannot score zero predictions.");
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Fraction of predictions equal to their reference, in [0, 1]; both sides are compared exactly. */
export function accuracy(predictions: readonly string[], references: readonly string[]): number {
  requireSameLength(predictions, references);
  return mean(predictions.map((prediction, i) => (prediction === references[i] ? 1 : 0)));
}

/** Fraction correct under MetaICL's rule: stripped prediction equal to the stripped reference (or one of them). */
export function metaIclAccuracy(predictions: readonly string[], references: readonly (string | readonly string[])[]): number {
  requireSameLength(predictions, references);
  return mean(predictions.map((prediction, i) => (metaIclIsCorrect(prediction, references[i]!) ? 1 : 0)));
}

/** MetaICL's per-example rule: the stripped prediction equals the stripped reference, or one of several. */
export function metaIclIsCorrect(prediction: string, reference: string | readonly string[]): boolean {
  const stripped = prediction.trim();
  return typeof reference === "string" ? stripped === reference.trim() : reference.some((r) => r.trim() === stripped);
}

/** MetaICL's macro-F1, in [0, 1]. */
export function metaIclMacroF1(predictions: readonly string[], references: readonly string[]): number {
  requireSameLength(predictions, references);
  const recalls = new Map<string, number[]>();
  const precisions = new Map<string, number[]>();
  predictions.forEach((rawPrediction, i) => {
    const prediction = rawPrediction.trim();
    const reference = references[i]!.trim();
    const correct = prediction === reference ? 1 : 0;
    pushTo(recalls, reference, correct);
    pushTo(precisions, prediction, correct);
  });
  const f1s: number[] = [];
  for (const [label, hits] of recalls) {
    const predicted = precisions.get(label);
    const precision = predicted === undefined ? 1.0 : mean(predicted);
    const recall = mean(hits);
    f1s.push(precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall));
  }
  return mean(f1s);
}

function pushTo(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** MetaICL's task score in [0, 1]: macro-F1 for classification tasks, accuracy otherwise. */
export function metaIclScore(predictions: readonly string[], references: readonly string[], isClassification: boolean): number {
  return isClassification ? metaIclMacroF1(predictions, references) : metaIclAccuracy(predictions, references);
}
