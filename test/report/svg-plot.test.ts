import { describe, expect, it } from "vitest";
import { niceTicks, renderLineChart } from "../../src/report/svg-plot.js";

describe("SVG line chart", () => {
  it("chooses round ticks covering the range", () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(31.5, 48.2)).toEqual([30, 35, 40, 45, 50]);
    expect(niceTicks(0, 2, 5, true)).toEqual([0, 1, 2]);
    // A flat series still gets a range around its value.
    expect(niceTicks(50, 50)).toEqual([44, 46, 48, 50, 52, 54, 56]);
  });

  it("draws each series with markers and a legend", () => {
    const svg = renderLineChart({
      id: "example",
      title: "Scores <by> init & steps",
      file: "example.svg",
      xLabel: "steps",
      yLabel: "score (%)",
      series: [
        { label: "Rand Init", points: [{ x: 0, y: 10 }, { x: 2, y: 20 }] },
        { label: "Hyper Init", points: [{ x: 0, y: 30 }, { x: 2, y: 40 }] },
      ],
    });
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(svg).toContain("Scores &lt;by&gt; init &amp; steps");
    expect(svg).toContain('stroke-dasharray="8 4"');
    expect(svg).toContain(">Hyper Init</text>");
    // Integer steps get integer ticks only.
    expect(svg).not.toMatch(/>0\.5</);
  });

  it("says so when there is nothing to draw", () => {
    const svg = renderLineChart({ id: "empty", title: "Empty", file: "empty.svg", xLabel: "x", yLabel: "y", series: [] });
    expect(svg).toContain(">no results</text>");
    expect(svg).not.toContain("<polyline");
  });
});
