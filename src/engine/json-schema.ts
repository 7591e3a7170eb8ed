/**
 * JSON schema validation with ajv, loaded lazily (importing and compiling costs tens of milliseconds, which the
 * no-op path avoids through the validation memo), and errors rendered as one line per problem naming the JSON
 * pointer of the field, the offending value and what the schema expects.
 */
import type { ErrorObject, ValidateFunction } from "ajv";

export interface SchemaProblem {
  /** JSON pointer of the offending field, `""` for the document itself. */
  pointer: string;
  /** The offending value, serialized as JSON (`undefined` for a missing field). */
  value: string | undefined;
  /** What the schema expects there. */
  expected: string;
}

export type SchemaValidator = (data: unknown) => SchemaProblem[];

/** Compiles `schema` with every error reported (not only the first). */
export async function compileSchema(schema: object): Promise<SchemaValidator> {
  const { default: ajvModule } = await import("ajv");
  const Ajv = ajvModule.default;
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
  const validate: ValidateFunction = ajv.compile(schema);
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map(describeError));
}

function describeError(error: ErrorObject): SchemaProblem {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
      const allowed = Object.keys(parent?.properties ?? {});
      const data = error.data as Record<string, unknown>;
      return {
        pointer: `${error.instancePath}/${escapePointer(key)}`,
        value: renderValue(data[key]),
        expected: allowed.length > 0 ? `no such key; allowed keys here: ${allowed.join(", ")}` : "no keys here",
      };
    }
    case "required":
      return {
        pointer: `${error.instancePath}/${escapePointer(String(params.missingProperty))}`,
        value: undefined,
        expected: "a required field",
      };
    case "enum":
      return {
        pointer: error.instancePath,
        value: renderValue(error.data),
        expected: `one of ${(params.allowedValues as unknown[]).map((item) => JSON.stringify(item)).join(", ")}`,
      };
    default:
      return { pointer: error.instancePath, value: renderValue(error.data), expected: describeRule(error) };
  }
}

const typeNames: { [type: string]: string } = {
  integer: "an integer",
  number: "a number",
  string: "a string",
  boolean: "a boolean",
  object: "an object",
  array: "an array",
  null: "null",
};

/** What a schema rule expects, as a noun phrase ("an integer", "a number >= 1"); ajv's own text reads "must be ...". */
function describeRule(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const limit = String(params.limit);
  switch (error.keyword) {
    case "type":
      return String(params.type)
        .split(",")
        .map((type) => typeNames[type] ?? type)
        .join(" or ");
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return `a number ${String(params.comparison)} ${limit}`;
    case "multipleOf":
      return `a multiple of ${String(params.multipleOf)}`;
    case "minLength":
      return `a string of at least ${limit} characters`;
    case "maxLength":
      return `a string of at most ${limit} characters`;
    case "minItems":
      return `an array of at least ${limit} items`;
    case "maxItems":
      return `an array of at most ${limit} items`;
    case "minProperties":
      return `an object with at least ${limit} keys`;
    case "uniqueItems":
      return `an array without duplicates (items ${String(params.j)} and ${String(params.i)} are equal)`;
    case "pattern":
      return `a string matching /${String(params.pattern)}/`;
    case "const":
      return `the value ${JSON.stringify(params.allowedValue)}`;
    default:
      return `a value that passes the schema rule "${error.keyword}" (ajv: ${error.message ?? "no message"})`;
  }
}

function escapePointer(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** JSON text of a value, shortened for one-line messages. */
export function renderValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** One line per problem: `FILE: field /a/b: value 3 is invalid: must be string`. */
export function formatProblems(file: string, problems: SchemaProblem[]): string {
  return problems
    .map((problem) => {
      const field = problem.pointer === "" ? "the document" : `field ${problem.pointer}`;
      const value = problem.value === undefined ? "is missing" : `has value ${problem.value}`;
      return `${file}: ${field} ${value}; expected ${problem.expected}`;
    })
    .join("\n");
}
