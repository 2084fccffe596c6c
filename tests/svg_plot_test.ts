/** SVG line charts for evaluation reports. */
import assert from "node:assert/strict";
import {
  escapeXml,
  lineChart,
  logTicks,
  niceTicks,
  PALETTE,
  type Series,
  tickLabels,
} from "../src/eval/svg_plot.ts";

const OPTIONS = { title: "Best energy", xLabel: "evaluations", yLabel: "energy" };

/**
 * A minimal XML well-formedness check: every tag is a name with double-quoted attributes, tags
 * nest and balance, there is one root element, and text holds no raw '<', '>' or bare '&'.
 */
function assertWellFormed(xml: string): void {
  const tag =
    /^<(\/?)([A-Za-z][\w:-]*)(?:\s+[\w:-]+="(?:[^"<>&]|&(?:amp|lt|gt|quot|apos);)*")*\s*(\/?)>$/;
  const stack: string[] = [];
  let roots = 0;
  for (const token of xml.split(/(<[^>]*>)/)) {
    if (token.startsWith("<")) {
      const match = token.match(tag);
      assert.ok(match, `malformed tag ${token}`);
      const [, closing, name, selfClosing] = match;
      if (closing) {
        assert.equal(stack.pop(), name, `unbalanced </${name}>`);
      } else {
        if (stack.length === 0) roots++;
        if (!selfClosing) stack.push(name);
      }
    } else {
      assert.doesNotMatch(token, /[<>]|&(?!(?:amp|lt|gt|quot|apos);)/, `raw text ${token}`);
      if (stack.length === 0) assert.equal(token.trim(), "", "text outside the root");
    }
  }
  assert.deepEqual(stack, [], "unclosed tags");
  assert.equal(roots, 1);
}

/** Every start tag of element `name`. */
function elements(svg: string, name: string): string[] {
  return svg.match(new RegExp(`<${name}\\b[^>]*>`, "g")) ?? [];
}

/** The value of attribute `name` in a start tag. */
function attribute(tag: string, name: string): string {
  const match = tag.match(new RegExp(`\\s${name}="([^"]*)"`));
  assert.ok(match, `no ${name} in ${tag}`);
  return match[1];
}

/** The contents of every <text> with class `cls`. */
function texts(svg: string, cls: string): string[] {
  return [...svg.matchAll(new RegExp(`<text class="${cls}"[^>]*>([^<]*)</text>`, "g"))]
    .map((m) => m[1]);
}

/** The plot area rectangle as [left, top, right, bottom]. */
function plotArea(svg: string): [number, number, number, number] {
  const [rect] = elements(svg, "rect").filter((r) => r.includes('class="plot-area"'));
  const [x, y, w, h] = ["x", "y", "width", "height"].map((a) => Number(attribute(rect, a)));
  return [x, y, x + w, y + h];
}

/** The [x, y] pixel pairs of a points attribute. */
function coordinates(tag: string): [number, number][] {
  return attribute(tag, "points").split(" ").map((pair) => {
    const [x, y] = pair.split(",").map(Number);
    return [x, y];
  });
}

/** Asserts nothing non-finite and no more than 2 decimals got into the file. */
function assertCleanNumbers(svg: string): void {
  assert.doesNotMatch(svg, /NaN|Infinity|undefined/);
  assert.doesNotMatch(svg, /\d\.\d{3}/);
}

Deno.test("SVG chart: well-formed plain SVG 1.1 with escaped title, labels and legend", () => {
  const series: Series[] = [
    { name: "FIRE & restarts", points: [[1, -40], [10, -43], [100, -44.3]] },
    { name: "learned <v2>", points: [[1, -41.123456], [100, -44.326801]] },
  ];
  const svg = lineChart(series, {
    title: `LJ13 "best" energy's <trace>`,
    xLabel: "evaluations / replica",
    yLabel: "E & <E>",
    width: 700,
    height: 450,
  });
  assertWellFormed(svg);
  assertCleanNumbers(svg);
  assert.match(
    svg,
    /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" version="1\.1" width="700" height="450" viewBox="0 0 700 450" font-family="sans-serif"/,
  );
  assert.doesNotMatch(svg, /<script|<style|@import|url\(http|href=/);
  assert.deepEqual(texts(svg, "title"), ["LJ13 &quot;best&quot; energy&apos;s &lt;trace&gt;"]);
  assert.deepEqual(texts(svg, "x-label"), ["evaluations / replica"]);
  assert.deepEqual(texts(svg, "y-label"), ["E &amp; &lt;E&gt;"]);
  assert.deepEqual(texts(svg, "legend"), ["FIRE &amp; restarts", "learned &lt;v2&gt;"]);
  const colours = [...svg.matchAll(/(?:fill|stroke)="([^"]*)"/g)].map((m) => m[1]);
  assert.ok(colours.every((c) => /^#[0-9A-Fa-f]{6}$/.test(c) || c === "none"), String(colours));
});

Deno.test("SVG chart: one polyline per series with points, in palette order, bands under lines", () => {
  const series: Series[] = [
    {
      name: "median",
      points: [[0, 1], [1, 2], [2, 3]],
      band: { lower: [[0, 0.5], [1, 1.5], [2, 2.5]], upper: [[0, 1.5], [1, 2.5], [2, 3.5]] },
    },
    { name: "empty", points: [] },
    { name: "third", points: [[0, 3], [2, 1]] },
  ];
  const svg = lineChart(series, OPTIONS);
  assertWellFormed(svg);
  const polylines = elements(svg, "polyline");
  assert.deepEqual(polylines.map((p) => attribute(p, "stroke")), [PALETTE[0], PALETTE[2]]);
  const [polygon] = elements(svg, "polygon");
  assert.equal(elements(svg, "polygon").length, 1);
  assert.equal(attribute(polygon, "fill"), PALETTE[0]);
  assert.equal(attribute(polygon, "fill-opacity"), "0.2");
  assert.equal(coordinates(polygon).length, 6);
  assert.ok(svg.indexOf("<polygon") < svg.indexOf("<polyline"), "band drawn under the lines");
  assert.doesNotMatch(svg, /clip/, "data inside the plot needs no clipping");
  assert.deepEqual(texts(svg, "legend"), ["median", "empty", "third"]);
  assert.equal(new Set(PALETTE).size, 8);
});

Deno.test("SVG chart: log x axis ticks at decades across 10..1e5", () => {
  const svg = lineChart(
    [{ name: "a", points: [[10, 1], [316, 2], [1e5, 3]] }],
    { ...OPTIONS, xLog: true },
  );
  assert.deepEqual(texts(svg, "x-tick"), ["1e1", "1e2", "1e3", "1e4", "1e5"]);
  const [left, , right] = plotArea(svg);
  const xs = elements(svg, "text").filter((t) => t.includes("x-tick")).map((t) =>
    Number(attribute(t, "x"))
  );
  assert.equal(xs[0], left);
  assert.equal(xs[4], right);
  xs.slice(1).forEach((x, i) => assert.ok(Math.abs(x - xs[i] - (right - left) / 4) < 0.02));
  const [, [middle]] = coordinates(elements(svg, "polyline")[0]);
  assert.ok(Math.abs(middle - (left + (right - left) * (Math.log10(316) - 1) / 4)) <= 0.01);
  assert.deepEqual(logTicks(1, 4).map((t) => 10 ** t), [10, 100, 1000, 10000]);
  assert.deepEqual(tickLabels([10, 100, 1000, 10000]), ["10", "100", "1,000", "10,000"]);
});

Deno.test("SVG chart: log ticks for narrow and very wide ranges", () => {
  const round = (ticks: number[]) => ticks.map((t) => Number((10 ** t).toPrecision(6)));
  assert.deepEqual(round(logTicks(Math.log10(3), Math.log10(60))), [5, 10, 20, 50]);
  assert.deepEqual(round(logTicks(Math.log10(20), Math.log10(30))), [20, 22, 24, 26, 28, 30]);
  assert.deepEqual(logTicks(0, 20), [0, 3, 6, 9, 12, 15, 18]);
});

Deno.test("SVG chart: nice 1-2-5 ticks on a linear axis", () => {
  const svg = lineChart([{ name: "a", points: [[0, 0], [5, 0.93]] }], OPTIONS);
  assert.deepEqual(texts(svg, "y-tick"), ["0", "0.2", "0.4", "0.6", "0.8"]);
  assert.deepEqual(texts(svg, "x-tick"), ["0", "1", "2", "3", "4", "5"]);
  assert.deepEqual(tickLabels(niceTicks(0, 0.93)), ["0", "0.2", "0.4", "0.6", "0.8"]);
  assert.deepEqual(niceTicks(0, 100), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(-3, 7), [-2, 0, 2, 4, 6]);
  assert.deepEqual(niceTicks(-44.5, -40), [-44, -43, -42, -41, -40]);
  assert.deepEqual(tickLabels([0, 2e5, 4e5]), ["0", "2e5", "4e5"]);
  assert.deepEqual(tickLabels([1e-4, 2e-4]), ["1e-4", "2e-4"]);
  assert.deepEqual(tickLabels([-0.5, -0, 2500]), ["-0.5", "0", "2,500"]);
});

Deno.test("SVG chart: points map inside the plot area, x edge to edge, y padded 4%", () => {
  const svg = lineChart(
    [{ name: "a", points: [[0, 0], [2, 0.5], [10, 1]] }, { name: "b", points: [[5, 0.25]] }],
    OPTIONS,
  );
  const [left, top, right, bottom] = plotArea(svg);
  const [line] = elements(svg, "polyline");
  const points = coordinates(line);
  const yAt = (y: number) => bottom - (bottom - top) * (y + 0.04) / 1.08;
  const expected = [[left, yAt(0)], [left + (right - left) * 0.2, yAt(0.5)], [right, yAt(1)]];
  points.forEach(([x, y], i) => {
    assert.ok(Math.abs(x - expected[i][0]) <= 0.01, `x ${x} vs ${expected[i][0]}`);
    assert.ok(Math.abs(y - expected[i][1]) <= 0.01, `y ${y} vs ${expected[i][1]}`);
    assert.ok(x >= left && x <= right && y >= top && y <= bottom);
  });
  const [marker] = elements(svg, "circle");
  assert.equal(attribute(marker, "fill"), PALETTE[1]);
  const [cx, cy] = [Number(attribute(marker, "cx")), Number(attribute(marker, "cy"))];
  assert.ok(Math.abs(cx - (left + right) / 2) <= 0.01 && Math.abs(cy - yAt(0.25)) <= 0.01);
});

Deno.test("SVG chart: no data, non-finite points and degenerate ranges stay finite", () => {
  for (
    const series of [
      [],
      [{ name: "none", points: [] }],
      [{ name: "bad", points: [[NaN, 1], [1, Infinity]] as [number, number][] }],
      [{ name: "log of <= 0", points: [[0, 1], [-5, 2]] as [number, number][] }],
    ]
  ) {
    const svg = lineChart(series, { ...OPTIONS, xLog: true });
    assertWellFormed(svg);
    assertCleanNumbers(svg);
    assert.deepEqual(texts(svg, "no-data"), ["no data"]);
    assert.equal(elements(svg, "polyline").length, 0);
  }
  const flat = lineChart([{ name: "flat", points: [[3, 2], [3, 2], [NaN, 0]] }], OPTIONS);
  assertCleanNumbers(flat);
  assert.deepEqual(texts(flat, "x-tick"), ["2.7", "2.8", "2.9", "3", "3.1", "3.2", "3.3"]);
  assert.deepEqual(texts(flat, "y-tick"), ["1.8", "1.9", "2", "2.1", "2.2"]);
  assert.equal(coordinates(elements(flat, "polyline")[0]).length, 2);
  const huge = lineChart([{ name: "huge", points: [[-1e308, -1e308], [1e308, 1e308]] }], OPTIONS);
  assertWellFormed(huge);
  assertCleanNumbers(huge);
});

Deno.test("SVG chart: fixed y range clips, long names move the legend below", () => {
  const svg = lineChart(
    [{ name: "a very long series name that would not fit beside", points: [[0, -1], [1, 5]] }],
    { ...OPTIONS, yRange: [0, 1] },
  );
  assertWellFormed(svg);
  assert.deepEqual(texts(svg, "y-tick"), ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
  assert.match(svg, /<g clip-path="url\(#plot-clip\)">/);
  const [left, , right, bottom] = plotArea(svg);
  const legend = elements(svg, "text").filter((t) => t.includes('class="legend"'))[0];
  assert.ok(Number(attribute(legend, "y")) > bottom + 40);
  assert.ok(Number(attribute(legend, "x")) < right);
  const short = lineChart([{ name: "short", points: [[0, 0], [1, 1]] }], OPTIONS);
  const [, , shortRight] = plotArea(short);
  const shortLegend = elements(short, "text").filter((t) => t.includes('class="legend"'))[0];
  assert.ok(Number(attribute(shortLegend, "x")) > shortRight);
  assert.ok(left > 0 && shortRight < 640);
  assert.throws(() => lineChart([], { ...OPTIONS, yRange: [1, 1] }), RangeError);
});

Deno.test("SVG chart: series past the palette repeat its colours dashed", () => {
  const series = Array.from({ length: 9 }, (_, i) => ({
    name: `s${i}`,
    points: [[0, i], [1, i + 1]] as [number, number][],
  }));
  const polylines = elements(lineChart(series, OPTIONS), "polyline");
  assert.equal(polylines.length, 9);
  assert.equal(attribute(polylines[8], "stroke"), PALETTE[0]);
  assert.equal(attribute(polylines[8], "stroke-dasharray"), "6 3");
  assert.doesNotMatch(polylines[0], /dasharray/);
});

Deno.test("escapeXml: the five special characters and forbidden control characters", () => {
  assert.equal(escapeXml(`a&b<c>d"e'f\u0001g\th`), "a&amp;b&lt;c&gt;d&quot;e&apos;fg\th");
});
