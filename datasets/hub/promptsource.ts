/**
 * PromptSource templates (Bach et al. 2022), as used to build P3: a `templates.yaml` per dataset contains Jinja
 * templates whose output separates input and target with `|||`, and optional `answer_choices` (also Jinja,
 * `|||`-separated) for rank classification. Templates are rendered with nunjucks in its Jinja compatibility mode,
 * extended with the Python string methods the templates call.
 */
import nunjucks from "nunjucks";
import YAML from "yaml";

export interface PromptTemplate {
  id: string;
  name: string;
  jinja: string;
  answerChoices: string | undefined;
}

/** Parses a promptsource `templates.yaml`; `label` names the file in errors. */
export function parseTemplates(text: string, label: string): PromptTemplate[] {
  // The `!Template` and `!TemplateMetadata` tags name Python classes; the mappings under them are plain data.
  const untagged = text.replace(/: !Template(Metadata)?\s*$/gm, ":");
  let document: unknown;
  try {
    document = YAML.parse(untagged);
  } catch (error) {
    throw new Error(`${label}: invalid YAML (${(error as Error).message})`);
  }
  const templates = (document as { templates?: Record<string, Record<string, unknown>> } | null)?.templates;
  if (!templates || typeof templates !== "object") throw new Error(`${label}: field "templates" is missing`);
  return Object.entries(templates).map(([id, template]) => {
    if (typeof template?.jinja !== "string" || typeof template.name !== "string") {
      throw new Error(`${label}: template ${id} needs string fields "jinja" and "name"`);
    }
    return {
      id,
      name: template.name,
      jinja: template.jinja,
      answerChoices: typeof template.answer_choices === "string" ? template.answer_choices : undefined,
    };
  });
}

const pythonStringMethods: Record<string, (this: string, ...args: unknown[]) => unknown> = {
  strip(characters?: unknown) {
    return typeof characters === "string" ? trimCharacters(this, characters, true, true) : this.trim();
  },
  lstrip(characters?: unknown) {
    return typeof characters === "string" ? trimCharacters(this, characters, true, false) : this.trimStart();
  },
  rstrip(characters?: unknown) {
    return typeof characters === "string" ? trimCharacters(this, characters, false, true) : this.trimEnd();
  },
  lower() {
    return this.toLowerCase();
  },
  upper() {
    return this.toUpperCase();
  },
  capitalize() {
    return this.length === 0 ? this : this[0]!.toUpperCase() + this.slice(1).toLowerCase();
  },
  title() {
    return this.replace(/\w\S*/g, (word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase());
  },
  split(separator?: unknown) {
    return typeof separator === "string" ? this.split(separator) : this.trim().split(/\s+/);
  },
  replace(from: unknown, to: unknown) {
    return this.split(String(from)).join(String(to));
  },
  startswith(prefix: unknown) {
    return this.startsWith(String(prefix));
  },
  endswith(suffix: unknown) {
    return this.endsWith(String(suffix));
  },
};

function trimCharacters(text: string, characters: string, left: boolean, right: boolean): string {
  let start = 0;
  let end = text.length;
  while (left && start < end && characters.includes(text[start]!)) start++;
  while (right && end > start && characters.includes(text[end - 1]!)) end--;
  return text.slice(start, end);
}

let environment: nunjucks.Environment | undefined;

function jinjaEnvironment(): nunjucks.Environment {
  if (environment) return environment;
  nunjucks.installJinjaCompat();
  const runtime = (nunjucks as unknown as { runtime: { memberLookup: (obj: unknown, value: unknown, autoescape?: boolean) => unknown } }).runtime;
  const jinjaLookup = runtime.memberLookup;
  runtime.memberLookup = function memberLookup(obj: unknown, value: unknown, autoescape?: boolean): unknown {
    if (typeof obj === "string" && typeof value === "string" && Object.hasOwn(pythonStringMethods, value)) {
      return pythonStringMethods[value]!.bind(obj);
    }
    return jinjaLookup(obj, value, autoescape);
  };
  environment = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
  return environment;
}

/** Renders a template string with `context`. */
export function renderJinja(template: string, context: Record<string, unknown>): string {
  return jinjaEnvironment().renderString(template, context);
}

export interface PromptedExample {
  input: string;
  target: string;
  choices: string[] | undefined;
}

/** Applies `template` to a dataset row; returns undefined when the template gives no target (e.g. label -1). */
export function applyTemplate(template: PromptTemplate, row: Record<string, unknown>): PromptedExample | undefined {
  const choices = template.answerChoices
    ? renderJinja(template.answerChoices, row)
        .split("|||")
        .map((choice) => choice.trim())
    : undefined;
  const rendered = renderJinja(template.jinja, { ...row, answer_choices: choices });
  const parts = rendered.split("|||");
  if (parts.length < 2) return undefined;
  const input = parts[0]!.trim();
  const target = parts.slice(1).join("|||").trim();
  if (input.length === 0 || target.length === 0) return undefined;
  return { input, target, choices };
}
