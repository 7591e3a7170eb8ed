import path from "node:path";
import { expect, test } from "vitest";
import { assertSafeName, joinInside, toSafeName, toSafeNames } from "../../datasets/safe-names.js";
import { joinUrl } from "../../datasets/hub/http.js";

test("safe names reject traversal", () => {
  for (const name of ["..", ".hidden", "a/b", "", "a\\b", "x".repeat(201)]) {
    expect(() => assertSafeName(name, "test")).toThrow(/invalid name/);
  }
  expect(assertSafeName("task1146_country_capital", "test")).toBe("task1146_country_capital");
});

test("joinInside keeps paths in the root", () => {
  expect(joinInside("/tmp/root", "embedded/p3", "tasks")).toBe(path.resolve("/tmp/root/embedded/p3/tasks"));
  expect(() => joinInside("/tmp/root", "../escape")).toThrow();
  expect(() => joinInside("/tmp/root", "/etc/passwd")).toThrow();
  expect(() => joinInside("/tmp/root", "a//b")).toThrow();
});

test("source names map to distinct safe names", () => {
  expect(toSafeName("inst:ag_news:classify")).toBe("inst_ag_news_classify");
  expect(toSafeName("super_glue/cb GPT-3 style")).toBe("super_glue_cb_GPT-3_style");
  expect(() => toSafeNames(["a:b", "a/b"], "test")).toThrow(/both map to file a_b/);
});

test("joinUrl encodes each segment whole", () => {
  expect(joinUrl("http://127.0.0.1:1/base/", "config", "tasks", "../../x.json")).toBe("http://127.0.0.1:1/base/config/tasks/..%2F..%2Fx.json");
  expect(() => joinUrl("http://127.0.0.1:1/base", "..", "x")).toThrow(/invalid URL path segment/);
  expect(() => joinUrl("http://127.0.0.1:1/base", "")).toThrow(/invalid URL path segment/);
});
