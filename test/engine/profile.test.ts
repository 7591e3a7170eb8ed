import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError } from "../../src/engine/errors.js";
import { loadProfile } from "../../src/engine/profile.js";
import { TestProject } from "./fixtures/project.js";

const schema = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: { type: "string" },
    training: {
      type: "object",
      additionalProperties: false,
      properties: { steps: { type: "integer", minimum: 1 }, optimizer: { enum: ["adafactor", "adam"] } },
    },
  },
};

describe("profile loader", () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "hypertune-profile-"));
    fs.mkdirSync(path.join(root, "profiles"));
  });

  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  async function problemsOf(profile: unknown): Promise<string> {
    fs.writeFileSync(path.join(root, "profiles", "bad.json"), JSON.stringify(profile));
    const error = await loadProfile("bad", schema, { projectRoot: root }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }

  it("unknown key names the field and the allowed keys", async () => {
    const message = await problemsOf({ name: "x", training: { stepz: 10 } });

    expect(message).toContain("profiles/bad.json");
    expect(message).toContain("field /training/stepz has value 10");
    expect(message).toContain("allowed keys here: steps, optimizer");
  });

  it("wrong type names the field, value and expectation", async () => {
    const message = await problemsOf({ name: "x", training: { steps: "ten", optimizer: "sgd" } });

    expect(message).toContain('field /training/steps has value "ten"; expected an integer');
    expect(message).toContain('field /training/optimizer has value "sgd"; expected one of "adafactor", "adam"');
  });

  it("missing required field is named", async () => {
    const message = await problemsOf({});

    expect(message).toContain("field /name is missing");
  });

  it("unknown profile name lists the available ones", async () => {
    fs.writeFileSync(path.join(root, "profiles", "smoke.json"), JSON.stringify({ name: "smoke" }));
    const error = await loadProfile("smok", schema, { projectRoot: root }).catch((caught: unknown) => caught);

    expect((error as Error).message).toMatch(/Profile "smok" not found: .*smok.json does not exist. Available profiles: smoke./);
  });

  it("profile path is shown as given", async () => {
    const file = path.join(root, "bad-unknown.json");
    fs.writeFileSync(file, JSON.stringify({ name: "x", stepz: 1 }));

    const error = await loadProfile(file, schema, { projectRoot: root }).catch((caught: unknown) => caught);
    const lines = (error as Error).message.split("\n");

    expect(lines[0]).toBe("Invalid profile (1 problem):");
    expect(lines[1]).toBe(`${file}: field /stepz has value 1; expected no such key; allowed keys here: name, training`);
  });

  it("missing profile file is named once", async () => {
    const file = path.join(root, "absent.json");

    const error = await loadProfile(file, schema, { projectRoot: root }).catch((caught: unknown) => caught);

    expect((error as Error).message.split(file)).toHaveLength(2);
    expect((error as Error).message).toMatch(/^Profile file .*absent.json does not exist\./);
  });

  it("digest ignores formatting and key order", async () => {
    fs.writeFileSync(path.join(root, "profiles", "one.json"), '{"name": "x", "training": {"steps": 3, "optimizer": "adam"}}');
    fs.writeFileSync(path.join(root, "profiles", "two.json"), '{\n  "training": {"optimizer": "adam", "steps": 3},\n  "name": "x"\n}\n');
    fs.writeFileSync(path.join(root, "profiles", "three.json"), '{"name": "x", "training": {"steps": 4, "optimizer": "adam"}}');

    const [one, two, three] = await Promise.all(["one", "two", "three"].map((name) => loadProfile(name, schema, { projectRoot: root })));

    expect(one!.digest).toBe(two!.digest);
    expect(one!.digest).not.toBe(three!.digest);
  });

  it("graph error names the profile file", async () => {
    const project = new TestProject();
    try {
      fs.writeFileSync(project.profileFile, JSON.stringify({ name: "nightly", runLog: project.runLog, stages: [{ id: "a", impossible: "needs a tokenizer" }] }));
      const result = await project.command("plan");

      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`Invalid profile ${project.profileFile}: stages/0: needs a tokenizer`);
      expect(result.stderr).not.toContain("nightly");
    } finally {
      project.remove();
    }
  });

  it("run with a bad profile exits 2 naming the field", async () => {
    const project = new TestProject();
    try {
      project.writeProfile([{ id: "a", steps: 0 }]);
      const result = await project.command("run");

      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain("profile.json: field /stages/0/steps has value 0; expected a number >= 1");
      expect(project.runLines()).toEqual([]);
    } finally {
      project.remove();
    }
  });
});
