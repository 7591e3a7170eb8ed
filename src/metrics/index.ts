export { accuracy, metaIclAccuracy, metaIclIsCorrect, metaIclMacroF1, metaIclScore } from "./classification.js";
export { porterStem } from "./porter-stemmer.js";
export { longestCommonSubsequence, rougeL, rougeLMaxOverReferences, rougeLScore, rougeTokenize, roundTo } from "./rouge.js";
export type { RougeScore } from "./rouge.js";
