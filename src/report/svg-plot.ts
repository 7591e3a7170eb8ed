/**
 * Line charts as standalone SVG text, so the report needs no browser or plotting library to draw its figures.
 */
import type { ReportPlot } from "./model.js";

const width = 640;
const height = 400;
const margin = { top: 40, right: 160, bottom: 56, left: 64 };
/** Colour-blind-safe palette (Okabe and Ito, 2008). */
const palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000"];
/** Dash patterns, so that series lying on top of each other stay distinguishable. */
const dashes = ["", "8 4", "2 3", "8 3 2 3"];

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * Chooses ticks 1, 2 or 5 times a power of ten apart, about `count` of them over the range. With `integers`, the
 * step is at least 1, for axes such as training steps.
 */
export function niceTicks(minimum: number, maximum: number, count = 5, integers = false): number[] {
  if (minimum === maximum) {
    const pad = Math.abs(minimum) > 0 ? Math.abs(minimum) * 0.1 : 1;
    return niceTicks(minimum - pad, maximum + pad, count, integers);
  }
  const raw = Math.max((maximum - minimum) / count, integers ? 1 : 0);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= raw)!;
  const ticks: number[] = [];
  for (let tick = Math.floor(minimum / step) * step; tick <= maximum + step * 1e-9; tick += step) {
    ticks.push(Number(tick.toPrecision(12)));
  }
  if (ticks[ticks.length - 1]! < maximum) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

function formatTick(value: number): string {
  if (Math.abs(value) >= 10_000) return `${Number((value / 1000).toPrecision(6))}k`;
  return String(Number(value.toPrecision(6)));
}

/** Renders `plot` as an SVG document; a plot without points says so in the drawing area. */
export function renderLineChart(plot: ReportPlot): string {
  const points = plot.series.flatMap((series) => series.points);
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(plot.title)}</text>`,
  ];
  if (points.length === 0) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle">no results</text>`, "</svg>");
    return parts.join("\n") + "\n";
  }

  const integerX = points.every((point) => Number.isInteger(point.x));
  const xTicks = niceTicks(Math.min(...points.map((point) => point.x)), Math.max(...points.map((point) => point.x)), 5, integerX);
  const yTicks = niceTicks(Math.min(...points.map((point) => point.y)), Math.max(...points.map((point) => point.y)));
  const xMin = xTicks[0]!;
  const xMax = xTicks[xTicks.length - 1]!;
  const yMin = yTicks[0]!;
  const yMax = yTicks[yTicks.length - 1]!;
  const xOf = (x: number): number => margin.left + ((x - xMin) / (xMax - xMin)) * plotWidth;
  const yOf = (y: number): number => margin.top + plotHeight - ((y - yMin) / (yMax - yMin)) * plotHeight;
  const fixed = (value: number): string => value.toFixed(1);

  // Axes, grid lines and tick labels.
  parts.push(`<g stroke="#dddddd">`);
  for (const tick of yTicks) parts.push(`<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${fixed(yOf(tick))}" y2="${fixed(yOf(tick))}"/>`);
  parts.push(`</g>`);
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333333"/>`,
  );
  for (const tick of xTicks) {
    parts.push(`<text x="${fixed(xOf(tick))}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  for (const tick of yTicks) {
    parts.push(`<text x="${margin.left - 8}" y="${fixed(yOf(tick) + 4)}" text-anchor="end">${formatTick(tick)}</text>`);
  }
  parts.push(
    `<text x="${margin.left + plotWidth / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(plot.xLabel)}</text>`,
    `<text x="16" y="${margin.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 16 ${margin.top + plotHeight / 2})">${escapeXml(plot.yLabel)}</text>`,
  );

  // One polyline with point markers per series, and the legend on the right.
  plot.series.forEach((series, index) => {
    const colour = palette[index % palette.length]!;
    const dash = dashes[index % dashes.length]!;
    const dashAttribute = dash === "" ? "" : ` stroke-dasharray="${dash}"`;
    const coordinates = series.points.map((point) => `${fixed(xOf(point.x))},${fixed(yOf(point.y))}`);
    parts.push(`<g stroke="${colour}" fill="${colour}">`);
    if (coordinates.length > 1) parts.push(`<polyline points="${coordinates.join(" ")}" fill="none" stroke-width="2"${dashAttribute}/>`);
    for (const point of series.points) parts.push(`<circle cx="${fixed(xOf(point.x))}" cy="${fixed(yOf(point.y))}" r="3"/>`);
    parts.push(`</g>`);
    const legendY = margin.top + 10 + index * 18;
    parts.push(
      `<line x1="${width - margin.right + 12}" x2="${width - margin.right + 32}" y1="${legendY}" y2="${legendY}" stroke="${colour}" stroke-width="2"${dashAttribute}/>`,
      `<text x="${width - margin.right + 38}" y="${legendY + 4}">${escapeXml(series.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
