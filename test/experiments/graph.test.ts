import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import Ajv from "ajv";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";

import { profileSchema, resolvePipeline, type Profile } from "../../stages/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
// Tests run from test/ (vitest) or dist/test/ (compiled); the profiles folder sits at the project root.
const projectRoot = [path.resolve(here, "../.."), path.resolve(here, "../../..")].find((root) => fs.existsSync(path.join(root, "profiles", "smoke.json")))!;
const profileNames = ["smoke", "default", "t5-large", "t5-xl"];

function loadProfile(name: string): Profile {
  return JSON.parse(fs.readFileSync(path.join(projectRoot, "profiles", `${name}.json`), "utf8")) as Profile;
}

const validate = new Ajv.default({ allErrors: true, strict: false }).compile(profileSchema);

describe("profile files", () => {
  for (const name of profileNames) {
    it(`${name} passes the schema`, () => {
      const valid = validate(loadProfile(name));
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    });
  }

  it("schema rejects unknown keys", () => {
    const profile = loadProfile("smoke") as unknown as Record<string, unknown>;
    expect(validate({ ...profile, extra: 1 })).toBe(false);
    const mtf = { ...(profile.mtf as object), learningRate: 1 };
    expect(validate({ ...profile, mtf })).toBe(false);
  });
});

describe("resolvePipeline", () => {
  for (const name of profileNames) {
    it(`resolves ${name} into an acyclic graph`, async () => {
      const { stages } = await resolvePipeline(loadProfile(name), { projectRoot });
      const ids = new Set<string>();
      for (const stage of stages) {
        for (const upstream of stage.upstream) expect(ids.has(upstream), `${stage.id} reads ${upstream}`).toBe(true);
        expect(ids.has(stage.id)).toBe(false);
        ids.add(stage.id);
      }
      expect(stages.at(-1)?.id).toBe("report");
    });
  }

  it("puts every result stage upstream of the report", async () => {
    const { stages } = await resolvePipeline(loadProfile("default"), { projectRoot });
    const report = stages.at(-1)!;
    const results = stages.filter((stage) => ["eval", "peft", "hyperpretrain"].includes(stage.kind)).map((stage) => stage.id);
    expect(report.params.profile).toBe("default");
    expect([...report.upstream].sort()).toEqual([...results].sort());
  });

  it("names stages as the spec does", async () => {
    const { stages } = await resolvePipeline(loadProfile("t5-large"), { projectRoot });
    const ids = stages.map((stage) => stage.id);
    expect(ids).toContain("pretrain");
    expect(ids).toContain("hyperpretrain/hyper-prefix");
    expect(ids).toContain("hyperpretrain/hyper-prefix/prefix-only");
    expect(ids).toContain("mtf/p3/hyper-lora-plus");
    expect(ids).toContain("eval/sni/def-2pos/hyper-prefix");
    expect(ids).toContain("peft/super_glue_rte_GPT_3_style/prefix-mlp/hyper/0.0001/2");
    expect(stages.find((stage) => stage.id === "mtf/p3/t5-mtf")?.resource).toBe("gpu");
  });

  it("wires each PEFT init to its source", async () => {
    const { stages } = await resolvePipeline(loadProfile("t5-large"), { projectRoot });
    const upstreamOf = (id: string): string[] => stages.find((stage) => stage.id === id)!.upstream;
    const task = "super_glue_rte_GPT_3_style";
    expect(upstreamOf(`peft/${task}/prefix-flat/shared/0.001/0`)).toContain("mtf/p3/t5-mtf-prefix");
    expect(upstreamOf(`peft/${task}/prefix-flat/hyper/0.001/0`)).toContain("mtf/p3/hyper-prefix");
    expect(upstreamOf(`peft/${task}/prefix-mlp/hyper/0.001/0`)).toContain("mtf/p3/hyper-prefix");
    expect(upstreamOf(`peft/${task}/lora/shared/0.001/0`)).toContain("mtf/p3/t5-mtf-lora");
    expect(upstreamOf(`peft/${task}/lora/random/0.001/0`).some((id) => id.startsWith("mtf/"))).toBe(false);
  });

  it("rejects a hyper method without its hypermodel", async () => {
    const profile = loadProfile("smoke");
    profile.hyperpretrain.hypermodels = ["hyper-prefix"];
    await expect(resolvePipeline(profile, { projectRoot })).rejects.toThrow(/"hyper-lora" in hyperpretrain\/hypermodels/);
  });

  it("rejects a micro-batch that does not divide the batch", async () => {
    const profile = loadProfile("smoke");
    profile.mtf.training.microBatchSize = 3;
    await expect(resolvePipeline(profile, { projectRoot })).rejects.toThrow(/mtf\/training\/microBatchSize/);
  });

  it("rejects a sweep step equal to the full hyperpretraining", async () => {
    const profile = loadProfile("smoke");
    profile.mtf.hyperpretrainStepsSweep = [profile.hyperpretrain.training.steps];
    await expect(resolvePipeline(profile, { projectRoot })).rejects.toThrow(/main P3 runs already evaluate/);
  });

  it("rejects a run whose collection is not named", async () => {
    const profile = loadProfile("smoke");
    delete profile.data.collections.sni;
    await expect(resolvePipeline(profile, { projectRoot })).rejects.toThrow(/needs data\/collections\/sni/);
  });

  it("rejects the t5 tokenizer without its download", async () => {
    const profile = loadProfile("t5-xl");
    delete profile.data.downloads["t5-tokenizer"];
    await expect(resolvePipeline(profile, { projectRoot })).rejects.toThrow(/source "t5-tokenizer"/);
  });

  it("records hyperpretraining steps on hypermodel evaluations", async () => {
    const { stages } = await resolvePipeline(loadProfile("smoke"), { projectRoot });
    const params = (id: string) => stages.find((stage) => stage.id === id)!.params;
    expect(params("eval/p3/hyper-prefix").hyperpretrainSteps).toBe(4);
    expect(params("eval/p3/hyper-prefix/hyperpretrain-0").hyperpretrainSteps).toBe(0);
    expect(params("eval/p3/hyper-prefix/hyperpretrain-2").hyperpretrainSteps).toBe(2);
    expect(params("eval/p3/hyper-prefix/prefix-only").hyperpretrainVariant).toBe("prefix-only");
    expect(params("eval/p3/t5-mtf").hyperpretrainSteps).toBe(null);
  });
});

describe("stage code globs", () => {
  it("cover every experiment module a stage imports", async () => {
    const { stages } = await resolvePipeline(loadProfile("smoke"), { projectRoot });
    for (const kind of ["pretrain", "hyperpretrain", "mtf", "eval", "peft"]) {
      const stage = stages.find((candidate) => candidate.kind === kind)!;
      const covered = picomatch(stage.code);
      const pending = [`stages/${kind}.ts`];
      const seen = new Set<string>();
      while (pending.length > 0) {
        const file = pending.pop()!;
        if (seen.has(file)) continue;
        seen.add(file);
        expect(covered(file), `${kind} runs ${file}`).toBe(true);
        const text = fs.readFileSync(path.join(projectRoot, file), "utf8");
        for (const match of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"(\.[^"]+)\.js";/gms)) {
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1]!)) + ".ts";
          if (target.startsWith("src/experiments/") || target.startsWith("src/metrics/")) pending.push(target);
        }
      }
    }
  });
});

describe("single-layer models", () => {
  it("are rejected with the reason", async () => {
    const profile = loadProfile("smoke");
    if (profile.model.source !== "scratch") throw new Error("the smoke profile trains from scratch");
    profile.model.config.num_layers = 1;
    await expect(resolvePipeline(profile, { projectRoot })).rejects.toThrow(/at least 2/);
  });
});

describe("report stage parameters", () => {
  it("record the digest of the resolved profile", async () => {
    const profile = loadProfile("smoke");
    const edited = { ...profile, seed: profile.seed + 1 };
    const reportOf = async (resolved: Profile) => (await resolvePipeline(resolved, { projectRoot })).stages.find((stage) => stage.id === "report")!;

    const original = await reportOf(profile);
    const changed = await reportOf(edited);

    expect(original.params.profile).toBe(changed.params.profile);
    expect(typeof original.params.profileDigest).toBe("string");
    expect(changed.params.profileDigest).not.toBe(original.params.profileDigest);
  });
});

describe("Hugging Face profiles", () => {
  const heldOutPrompts = [
    "anli_GPT_3_style_r1",
    "hellaswag_complete_first_then",
    "super_glue_cb_GPT_3_style",
    "super_glue_copa_C1_or_C2_premise_so_because_",
    "super_glue_rte_GPT_3_style",
    "super_glue_wic_GPT_3_prompt",
    "super_glue_wsc.fixed_GPT_3_Style",
    "winogrande_winogrande_debiased_Replace",
  ];

  for (const name of ["t5-large", "t5-xl"]) {
    it(`${name} reads P3 from TFRecord subsets`, async () => {
      const { stages } = await resolvePipeline(loadProfile(name), { projectRoot });
      const download = stages.find((stage) => stage.id === "download/p3")!;
      const subsets = download.params.subsets as { name: string; role: string }[];

      expect(download.params.format).toBe("tfrecord");
      expect(subsets.filter((subset) => subset.role === "heldout").map((subset) => subset.name).sort()).toEqual([...heldOutPrompts].sort());
      // The training dataset-prompts listed in figure 7 of HyperTuning (Phang et al., 2022).
      expect(subsets.filter((subset) => subset.role === "train")).toHaveLength(241);
    });
  }
});
