import { describe, expect, it } from "vitest";
import { findReferenceRow, metaiclSplits, p3Tasks, referenceRows } from "../../src/report/paper-reference.js";

/** Parses the numbers at the end of a printed row, in order. */
function printedNumbers(source: string): number[] {
  return source
    .split(" ")
    .filter((token) => /^\d+\.\d$/.test(token))
    .map(Number);
}

function columnsOf(table: number): string[] {
  if ([1, 2, 5, 9].includes(table)) return [...p3Tasks, "average"];
  if (table === 3) return [...metaiclSplits];
  return ["average"];
}

describe("paper reference numbers", () => {
  it("match the printed row text", () => {
    for (const row of referenceRows) {
      const columns = columnsOf(row.table);
      expect(Object.keys(row.scores).sort(), `${row.table} ${row.label}`).toEqual([...columns].sort());
      expect(columns.map((column) => row.scores[column]), `${row.table} ${row.label}`).toEqual(printedNumbers(row.source));
    }
  });

  it("have every printed row of each table", () => {
    const counts = new Map<string, number>();
    for (const row of referenceRows) counts.set(`${row.table}/${row.model}`, (counts.get(`${row.table}/${row.model}`) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({
      "1/t5-large": 8,
      "2/t5-xl": 7,
      "3/t5-large": 6,
      "4/t5-large": 7,
      "6/t5-xl": 7,
      "5/t5-large": 6,
      "8/t5-large": 4,
      "9/t5-large": 9,
    });
  });

  it("keep printed AVG consistent with tasks", () => {
    // The printed AVG is the mean of the printed (rounded) task scores, so it may differ by rounding only.
    for (const row of referenceRows.filter((candidate) => [1, 2, 5, 9].includes(candidate.table))) {
      const mean = p3Tasks.reduce((sum, task) => sum + row.scores[task]!, 0) / p3Tasks.length;
      expect(Math.abs(mean - row.scores.average!), `${row.table} ${row.label}`).toBeLessThanOrEqual(0.1);
    }
  });

  it("repeat Prefix-MLP and LoRA of table 9 in table 5", () => {
    expect(findReferenceRow(5, "Prefix (Hyper Init)")!.scores).toEqual(findReferenceRow(9, "Prefix-MLP (Hyper Init)")!.scores);
    expect(findReferenceRow(5, "LoRA (Rand Init)")!.scores).toEqual(findReferenceRow(9, "LoRA (Rand Init)")!.scores);
    expect(findReferenceRow(5, "Prefix-Flat (Rand Init)")).toBeUndefined();
  });
});
