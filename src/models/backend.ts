/**
 * Initializes the TensorFlow.js backend chosen by `detectBackend` and, on wasm, registers the kernels that route
 * around its gaps so that model code stays plain tfjs.
 */
import * as tf from "@tensorflow/tfjs";
import { detectBackend, type DetectedBackend } from "./backend-detect.js";

export type { BackendName, DetectedBackend } from "./backend-detect.js";

let initialized: DetectedBackend | undefined;

/** The backend initialized by `initBackend`, or undefined before the first call. */
export function activeBackend(): DetectedBackend | undefined {
  return initialized;
}

/**
 * Loads and selects the backend (native TensorFlow, then wasm, then cpu, or the one `requested`), logs the choice
 * to stderr and returns it. Calling it again returns the first choice, and requesting a different one then raises an error.
 */
export async function initBackend(requested?: string, log: (line: string) => void = defaultLog): Promise<DetectedBackend> {
  if (initialized !== undefined) {
    if (requested !== undefined && requested !== initialized.name) {
      throw new Error(`Backend "${initialized.name}" is already initialized; cannot switch to "${requested}".`);
    }
    return initialized;
  }
  const detected = detectBackend(requested);
  if (detected.name === "tensorflow") {
    const nativeName = Object.keys(detected.packages).find((name) => name.startsWith("@tensorflow/tfjs-node"));
    await import(nativeName ?? "@tensorflow/tfjs-node");
    await tf.setBackend("tensorflow");
  } else if (detected.name === "wasm") {
    await import("@tensorflow/tfjs-backend-wasm");
    await tf.setBackend("wasm");
    registerWasmWorkarounds();
  } else {
    await tf.setBackend("cpu");
  }
  await tf.ready();
  initialized = detected;
  const versions = Object.entries(detected.packages).map(([name, version]) => `${name}@${version}`);
  log(`tfjs backend: ${detected.name} (${versions.join(", ")})`);
  return detected;
}

function defaultLog(line: string): void {
  process.stderr.write(line + "\n");
}

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use (not exported in its typings). */
interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
}
interface WasmBackend {
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): WasmTensorData };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): void;
  incRef(dataId: object): void;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  wasm: {
    HEAPU8: Uint8Array;
    cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
}

let workaroundsRegistered = false;

/** Name of the fused Adam kernel (registered for wasm only; other backends use plain tfjs ops). */
export const adamKernelName = "HypertuneAdamUpdate";

/** Settings of one Adam update, as kernel attributes. */
export interface AdamAttributes {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  /** Bias corrections 1 - β₁ᵗ and 1 - β₂ᵗ. */
  correction1: number;
  correction2: number;
  /** Decoupled weight decay rate (0 for none). */
  weightDecay: number;
  /** Factor applied to the gradient first (gradient clipping). */
  gradientScale: number;
}

/**
 * One Adam update of a parameter and its two moments in a single pass, returning the three new tensors. Per
 * variable this replaces about 14 elementwise kernels, whose dispatch dominates for small variables.
 */
function adamUpdate(args: KernelArgs, backend: WasmBackend): tf.TensorInfo[] {
  const parameter = args.inputs.parameter as tf.TensorInfo;
  const attributes = args.attrs as unknown as AdamAttributes;
  const outputs = [backend.makeOutput(parameter.shape, "float32"), backend.makeOutput(parameter.shape, "float32"), backend.makeOutput(parameter.shape, "float32")];
  const [nextParameter, nextFirst, nextSecond] = outputs.map((info) => backend.typedArrayFromHeap(info) as Float32Array) as [Float32Array, Float32Array, Float32Array];
  const values = backend.typedArrayFromHeap(parameter) as Float32Array;
  const gradient = backend.typedArrayFromHeap(args.inputs.gradient as tf.TensorInfo) as Float32Array;
  const first = backend.typedArrayFromHeap(args.inputs.firstMoment as tf.TensorInfo) as Float32Array;
  const second = backend.typedArrayFromHeap(args.inputs.secondMoment as tf.TensorInfo) as Float32Array;
  const { beta1, beta2, epsilon, learningRate, correction1, correction2, weightDecay, gradientScale } = attributes;
  const keep = 1 - learningRate * weightDecay;
  for (let i = 0; i < values.length; i++) {
    const g = (gradient[i] as number) * gradientScale;
    const m = beta1 * (first[i] as number) + (1 - beta1) * g;
    const v = beta2 * (second[i] as number) + (1 - beta2) * g * g;
    nextFirst[i] = m;
    nextSecond[i] = v;
    nextParameter[i] = (values[i] as number) * keep - (learningRate * (m / correction1)) / (Math.sqrt(v / correction2) + epsilon);
  }
  return outputs;
}

/**
 * Registers kernels that route around gaps of tfjs-backend-wasm 4.22. It has no UnsortedSegmentSum, so tf.gather
 * has no gradient. Its BatchMatMul only uses XNNPACK for a single untransposed 2-D product, and every other case
 * runs a scalar loop, 5-8x slower on the shapes of a training step. The replacement sends every batched or
 * transposed product through XNNPACK slice by slice. Faster Transpose, GatherV2, Sum, Identity and Cast kernels
 * and a fused Adam update follow.
 */
export function registerWasmWorkarounds(): void {
  if (workaroundsRegistered) return;
  workaroundsRegistered = true;
  tf.registerKernel({ kernelName: "UnsortedSegmentSum", backendName: "wasm", kernelFunc: unsortedSegmentSum });
  const stock = tf.getKernel("BatchMatMul", "wasm");
  const stockTranspose = tf.getKernel("Transpose", "wasm");
  if (stock === undefined || stockTranspose === undefined) return;
  let sliceProduct: ((...args: unknown[]) => void) | undefined;
  const productFunction = (backend: WasmBackend): ((...args: unknown[]) => void) => {
    // Set up lazily: setup functions only run when a backend initializes, which may have happened already.
    sliceProduct ??= backend.wasm.cwrap("BatchMatMul", null, [
      "number", "array", "number", "number", "array", "number", "number", "number", "number",
    ]);
    return sliceProduct;
  };
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: "wasm",
    setupFunc: stock.setupFunc,
    kernelFunc: (args) => {
      const backend = args.backend as unknown as WasmBackend;
      return slicedBatchMatMul(args, backend, stock, stockTranspose, productFunction(backend));
    },
  });
  tf.unregisterKernel("Transpose", "wasm");
  tf.registerKernel({
    kernelName: "Transpose",
    backendName: "wasm",
    setupFunc: stockTranspose.setupFunc,
    kernelFunc: (args) => blockedTranspose(args, stockTranspose),
  });
  // Tensors are immutable, so a copy made by Identity (every tensor tfjs saves for the backward pass) or by a Cast
  // to the same dtype (every Multiply gradient) can share the input's memory.
  const stockIdentity = tf.getKernel("Identity", "wasm");
  const stockCast = tf.getKernel("Cast", "wasm");
  if (stockIdentity !== undefined && stockCast !== undefined) {
    const share = (args: KernelArgs): tf.TensorInfo => {
      const x = args.inputs.x as tf.TensorInfo;
      (args.backend as unknown as WasmBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    };
    tf.unregisterKernel("Identity", "wasm");
    tf.registerKernel({ kernelName: "Identity", backendName: "wasm", kernelFunc: share });
    tf.unregisterKernel("Cast", "wasm");
    tf.registerKernel({
      kernelName: "Cast",
      backendName: "wasm",
      kernelFunc: (args) => ((args.inputs.x as tf.TensorInfo).dtype === args.attrs?.dtype ? share(args) : (stockCast.kernelFunc(args) as tf.TensorInfo)),
    });
  }
  const stockGather = tf.getKernel("GatherV2", "wasm");
  if (stockGather !== undefined) {
    tf.unregisterKernel("GatherV2", "wasm");
    tf.registerKernel({
      kernelName: "GatherV2",
      backendName: "wasm",
      setupFunc: stockGather.setupFunc,
      kernelFunc: (args) => rowGather(args, args.backend as unknown as WasmBackend, stockGather),
    });
  }
  tf.registerKernel({ kernelName: adamKernelName, backendName: "wasm", kernelFunc: (args) => adamUpdate(args, args.backend as unknown as WasmBackend) });
  const stockSum = tf.getKernel("Sum", "wasm");
  if (stockSum !== undefined) {
    tf.unregisterKernel("Sum", "wasm");
    tf.registerKernel({
      kernelName: "Sum",
      backendName: "wasm",
      setupFunc: stockSum.setupFunc,
      kernelFunc: (args) => {
        const backend = args.backend as unknown as WasmBackend;
        return leadingSum(args, backend, stockSum, productFunction(backend));
      },
    });
  }
}

/**
 * The stock 2-D transpose writes in a strided pattern. Viewing (R, C) as (I, R/I, C) and permuting to (C, I, R/I)
 * gives the same result about 2.5x faster for a (2048, 256) matrix.
 */
function blockedTranspose(args: KernelArgs, stock: tf.KernelConfig): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const perm = (args.attrs?.perm as number[] | undefined) ?? [];
  const kept = x.shape.map((size, axis) => ({ size, axis })).filter((entry) => entry.size !== 1);
  const keptPerm = perm.filter((axis) => x.shape[axis] !== 1);
  const isMatrixTranspose = kept.length === 2 && keptPerm[0] === kept[1]!.axis && keptPerm[1] === kept[0]!.axis;
  const rows = kept[0]?.size ?? 0;
  const blocks = [64, 32, 16, 8].find((count) => rows % count === 0 && rows / count >= 8);
  if (!isMatrixTranspose || blocks === undefined || x.dtype !== "float32") return stock.kernelFunc(args) as tf.TensorInfo;
  const columns = kept[1]!.size;
  const out = stock.kernelFunc({
    ...args,
    inputs: { x: { dataId: x.dataId, dtype: x.dtype, shape: [blocks, rows / blocks, columns] } },
    attrs: { perm: [2, 0, 1] },
  }) as tf.TensorInfo;
  return { ...out, shape: perm.map((axis) => x.shape[axis] as number) };
}

/**
 * Gathers whole rows (axis 0, the embedding lookup) by copying each row, because the stock kernel's per-element loop is
 * more than 10x slower for an embedding table.
 */
function rowGather(args: KernelArgs, backend: WasmBackend, stock: tf.KernelConfig): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const indices = args.inputs.indices as tf.TensorInfo;
  const axis = Number(args.attrs?.axis ?? 0);
  const batchDims = Number(args.attrs?.batchDims ?? 0);
  if (axis !== 0 || batchDims !== 0 || x.dtype !== "float32" || indices.dtype !== "int32" || x.shape.length < 2) {
    return stock.kernelFunc(args) as tf.TensorInfo;
  }
  const rows = x.shape[0] as number;
  const rowSize = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const count = indices.shape.reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], "float32");
  const outValues = backend.typedArrayFromHeap(out) as Float32Array;
  const xValues = backend.typedArrayFromHeap(x) as Float32Array;
  const ids = backend.typedArrayFromHeap(indices) as Int32Array;
  for (let i = 0; i < count; i++) {
    const row = ids[i] as number;
    if (row < 0 || row >= rows) {
      backend.disposeData(out.dataId);
      throw new Error(`gather: index ${row} at position ${i} is outside [0, ${rows}).`);
    }
    outValues.set(xValues.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize);
  }
  return out;
}

/**
 * Sums over leading axes as a product with a ones vector: the stock kernel's reduction over a strided axis is
 * over 10x slower than an XNNPACK product for a (2048, 256) matrix. Other reductions go to the stock kernel.
 */
function leadingSum(args: KernelArgs, backend: WasmBackend, stock: tf.KernelConfig, sliceProduct: (...args: unknown[]) => void): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const rank = x.shape.length;
  const rawAxes = args.attrs?.axis as number | number[] | undefined;
  const axes = (rawAxes === undefined ? [] : Array.isArray(rawAxes) ? rawAxes : [rawAxes]).map((axis) => (axis < 0 ? axis + rank : axis)).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((axis, i) => axis === i);
  const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
  if (!leading || x.dtype !== "float32" || rows < 64) return stock.kernelFunc(args) as tf.TensorInfo;
  const columns = x.shape.slice(axes.length).reduce((a, b) => a * b, 1);
  const outShape = args.attrs?.keepDims ? x.shape.map((size, axis) => (axis < axes.length ? 1 : size)) : x.shape.slice(axes.length);
  const ones = backend.makeOutput([1, rows], "float32");
  const out = backend.makeOutput(outShape, "float32");
  (backend.typedArrayFromHeap(ones) as Float32Array).fill(1);
  const onesId = backend.dataIdMap.get(ones.dataId).id;
  const xId = backend.dataIdMap.get(x.dataId).id;
  const outId = backend.dataIdMap.get(out.dataId).id;
  const aShape = new Uint8Array(new Int32Array([1, 1, rows]).buffer);
  const bShape = new Uint8Array(new Int32Array([1, rows, columns]).buffer);
  sliceProduct(onesId, aShape, 3, xId, bShape, 3, false, false, outId);
  backend.disposeData(ones.dataId);
  return out;
}

function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const segmentIds = args.inputs.segmentIds as tf.TensorInfo;
  const numSegments = Number(args.attrs?.numSegments);
  if (x.dtype !== "float32") throw new Error(`UnsortedSegmentSum on wasm supports float32 only, got ${x.dtype}.`);
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const rowSize = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], "float32");
  // Views are taken after makeOutput: an allocation can grow the heap and detach earlier views.
  const outValues = backend.typedArrayFromHeap(out) as Float32Array;
  const xValues = backend.typedArrayFromHeap(x) as Float32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  outValues.fill(0);
  for (let row = 0; row < rows; row++) {
    const segment = ids[row] as number;
    if (segment < 0 || segment >= numSegments) continue;
    const from = row * rowSize;
    const to = segment * rowSize;
    for (let k = 0; k < rowSize; k++) outValues[to + k]! += xValues[from + k]!;
  }
  return out;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

function slicedBatchMatMul(
  args: KernelArgs,
  backend: WasmBackend,
  stock: tf.KernelConfig,
  stockTranspose: tf.KernelConfig,
  sliceProduct: (...args: unknown[]) => void,
): tf.TensorInfo {
  const a = args.inputs.a as tf.TensorInfo;
  const b = args.inputs.b as tf.TensorInfo;
  const transposeA = Boolean(args.attrs?.transposeA);
  const transposeB = Boolean(args.attrs?.transposeB);
  const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  if ((batchA === 1 && batchB === 1 && !transposeA && !transposeB) || a.dtype !== "float32" || b.dtype !== "float32") {
    return stock.kernelFunc(args) as tf.TensorInfo;
  }
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) {
    // Broadcasting over several outer dimensions: leave it to the stock kernel.
    return stock.kernelFunc(args) as tf.TensorInfo;
  }
  const temporaries: tf.TensorInfo[] = [];
  const asRows = (info: tf.TensorInfo, batch: number, transpose: boolean): tf.TensorInfo => {
    const rows = info.shape[info.shape.length - 2] as number;
    const columns = info.shape[info.shape.length - 1] as number;
    const view = { dataId: info.dataId, dtype: info.dtype, shape: [batch, rows, columns] };
    if (!transpose) return view;
    const transposed = blockedTranspose({ inputs: { x: view }, backend: args.backend, attrs: { perm: [0, 2, 1] } }, stockTranspose);
    temporaries.push(transposed);
    return { dataId: transposed.dataId, dtype: "float32", shape: [batch, columns, rows] };
  };
  const a3 = asRows(a, batchA, transposeA);
  const b3 = asRows(b, batchB, transposeB);
  const [, m, k] = a3.shape as [number, number, number];
  const [, kb, n] = b3.shape as [number, number, number];
  if (k !== kb) throw new Error(`matMul inner sizes differ: ${a.shape} x ${b.shape} (transposeA=${transposeA}, transposeB=${transposeB}).`);
  const batch = Math.max(batchA, batchB);
  const outerShape = (batchA >= batchB ? a.shape : b.shape).slice(0, -2);
  const out = backend.makeOutput([...outerShape, m, n], "float32");
  const aOffset = backend.dataIdMap.get(a3.dataId).memoryOffset;
  const bOffset = backend.dataIdMap.get(b3.dataId).memoryOffset;
  const outOffset = backend.dataIdMap.get(out.dataId).memoryOffset;
  const aShape = new Uint8Array(new Int32Array([1, m, k]).buffer);
  const bShape = new Uint8Array(new Int32Array([1, k, n]).buffer);
  const register = (offset: number, size: number): number => {
    const id = backend.dataIdNextNumber++;
    backend.wasm.tfjs.registerTensor(id, size, offset);
    return id;
  };
  // Each slice is a view into the operands' heap memory: no copies, and XNNPACK handles the product.
  for (let i = 0; i < batch; i++) {
    const aId = register(aOffset + (batchA === 1 ? 0 : i * m * k * 4), m * k);
    const bId = register(bOffset + (batchB === 1 ? 0 : i * k * n * 4), k * n);
    const outId = register(outOffset + i * m * n * 4, m * n);
    sliceProduct(aId, aShape, 3, bId, bShape, 3, false, false, outId);
    backend.wasm.tfjs.disposeData(aId);
    backend.wasm.tfjs.disposeData(bId);
    backend.wasm.tfjs.disposeData(outId);
  }
  for (const temporary of temporaries) backend.disposeData(temporary.dataId);
  return out;
}
