/**
 * Child-process entry that trains a Unigram model with the Rust `tokenizers` package:
 * `node unigram-trainer-process.js <training text file> <output tokenizer.json>`. The Rust trainer prints progress
 * to standard output, which a stage process reserves for its events, so `trainUnigramTokenizer` runs it here with
 * standard output discarded.
 */
import { Tokenizer, Unigram, metaspacePreTokenizer, nfkcNormalizer } from "tokenizers";

const [trainingFile, outputFile] = process.argv.slice(2);
if (trainingFile === undefined || outputFile === undefined) {
  process.stderr.write("usage: unigram-trainer-process <training text file> <output tokenizer.json>\n");
  process.exit(2);
}
const tokenizer = new Tokenizer(Unigram.empty());
tokenizer.setNormalizer(nfkcNormalizer());
tokenizer.setPreTokenizer(metaspacePreTokenizer());
tokenizer.train([trainingFile]);
tokenizer.save(outputFile);
