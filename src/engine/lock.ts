/**
 * One build lock per stage key, as a file created with O_EXCL in the artifacts folder, so two pipelines (also on
 * different hosts sharing the folder) never build the same key at once.
 *
 * The holder touches the file every `heartbeatMs`. A lock is stale when its holder is on this host and its process
 * no longer exists, or when its heartbeat is older than `staleAfterMs` (a holder on another host that died).
 * A stale lock is renamed away, which only one contender can do, and the contender then retries the O_EXCL create.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  since: string;
  /** Trainer process on the same host; the lock stays live while it runs, even if the holder died. */
  trainerPid?: number;
}

export interface LockOptions {
  heartbeatMs?: number;
  staleAfterMs?: number;
  /** Called once when the lock is held by someone else and the caller starts waiting. */
  onWait?: (owner: string) => void;
  signal?: AbortSignal;
}

/** Locks this process holds, so `releaseHeldLocksSync` can remove them when the process exits. */
const heldLocks = new Set<HeldLock>();

export class HeldLock {
  readonly file: string;
  readonly #owner: LockOwner;
  readonly #token: string;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(file: string, owner: LockOwner, heartbeatMs: number) {
    this.file = file;
    this.#owner = owner;
    this.#token = owner.token;
    this.#heartbeat = setInterval(() => {
      const now = new Date();
      fs.utimes(file, now, now, () => undefined);
    }, heartbeatMs);
    this.#heartbeat.unref();
    heldLocks.add(this);
  }

  /** Whether the lock file is still ours (a contender may have wrongly judged it stale). */
  stillHeld(): boolean {
    return readOwner(this.file)?.token === this.#token;
  }

  /**
   * Records the trainer process running for this lock. If the holder is killed, the orphaned trainer may still be
   * writing to the work folder until it notices, so the lock counts as live while either process exists.
   */
  recordTrainer(pid: number): void {
    if (!this.stillHeld()) return;
    const temporary = `${this.file}.${this.#token}`;
    fs.writeFileSync(temporary, JSON.stringify({ ...this.#owner, trainerPid: pid }));
    fs.renameSync(temporary, this.file);
  }

  /** Deletes the lock file if it is still ours. */
  async release(): Promise<void> {
    clearInterval(this.#heartbeat);
    heldLocks.delete(this);
    if (this.stillHeld()) await fs.promises.rm(this.file, { force: true });
  }

  /** Deletes the lock file if it is still ours, synchronously, for an `exit` handler. */
  releaseSync(): void {
    clearInterval(this.#heartbeat);
    heldLocks.delete(this);
    if (this.stillHeld()) fs.rmSync(this.file, { force: true });
  }
}

/**
 * Removes every lock this process still holds. Meant for an `exit` handler, and only after the trainers working
 * under those locks have been killed, since a lock must not be freed while its trainer writes to the work folder.
 */
export function releaseHeldLocksSync(): void {
  for (const lock of [...heldLocks]) lock.releaseSync();
}

/** Takes the lock in `file`, waiting (polling) while another live process holds it. */
export async function acquireLock(file: string, options: LockOptions = {}): Promise<HeldLock> {
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), token: randomBytes(12).toString("hex"), since: "" };
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  let waited = false;
  let delayMs = 50;
  for (;;) {
    options.signal?.throwIfAborted();
    owner.since = new Date().toISOString();
    try {
      await fs.promises.writeFile(file, JSON.stringify(owner), { flag: "wx" });
      return new HeldLock(file, { ...owner }, heartbeatMs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }

    const holder = readOwner(file);
    if (isStale(file, holder, staleAfterMs)) {
      await breakLock(file, holder);
      continue;
    }
    if (!waited && holder !== undefined) {
      waited = true;
      options.onWait?.(describeHolder(holder));
    }
    await sleep(delayMs, options.signal);
    delayMs = Math.min(delayMs * 2, 1_000);
  }
}

export type LockState =
  | { state: "absent" }
  /** `holder` names the process that keeps the lock alive (see `describeHolder`). */
  | { state: "live" | "stale"; holder: string };

/** Whether the lock in `file` exists and whether a contender would judge it stale, for `status`. */
export function inspectLock(file: string, staleAfterMs = 60_000): LockState {
  if (!fs.existsSync(file)) return { state: "absent" };
  const holder = readOwner(file);
  const description = holder === undefined ? "unreadable lock file" : describeHolder(holder);
  return { state: isStale(file, holder, staleAfterMs) ? "stale" : "live", holder: description };
}

/**
 * Names the process that keeps a lock alive. When the pipeline that took the lock has exited but its trainer
 * still runs, the trainer is the real holder, so the message names it rather than the dead pipeline.
 */
function describeHolder(holder: LockOwner): string {
  const where = `on ${holder.host}, since ${holder.since}`;
  if (holder.host !== os.hostname()) return `pipeline pid ${holder.pid} ${where}`;
  const pipelineAlive = processExists(holder.pid);
  const trainerAlive = holder.trainerPid !== undefined && processExists(holder.trainerPid);
  if (!pipelineAlive && trainerAlive) {
    return `trainer pid ${holder.trainerPid} left running by pipeline pid ${holder.pid}, which has exited, ${where}`;
  }
  if (!pipelineAlive) return `pipeline pid ${holder.pid}, which has exited, ${where}`;
  return trainerAlive ? `pipeline pid ${holder.pid} with trainer pid ${holder.trainerPid} ${where}` : `pipeline pid ${holder.pid} ${where}`;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

function isStale(file: string, holder: LockOwner | undefined, staleAfterMs: number): boolean {
  if (holder !== undefined && holder.host === os.hostname()) {
    const trainerAlive = holder.trainerPid !== undefined && processExists(holder.trainerPid);
    if (!processExists(holder.pid) && !trainerAlive) return true;
  }
  // An unreadable lock file is either being written right now or was left half-written by a killed process.
  const limitMs = holder === undefined ? Math.min(staleAfterMs, 2_000) : staleAfterMs;
  try {
    return Date.now() - fs.statSync(file).mtimeMs > limitMs;
  } catch {
    return false;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Renames a stale lock away. If the renamed file turns out to be a fresh lock that another contender created
 * after we judged the old one stale, it is linked back, which fails harmlessly if a third process got in first.
 */
async function breakLock(file: string, judged: LockOwner | undefined): Promise<void> {
  const aside = `${file}.stale-${randomBytes(6).toString("hex")}`;
  try {
    await fs.promises.rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const moved = readOwner(aside);
  if (moved !== undefined && moved.token !== judged?.token) {
    await fs.promises.link(aside, file).catch(() => undefined);
  }
  await fs.promises.rm(aside, { force: true });
}

/** Waits `ms`; the abort listener is removed when the timer fires, so polling does not pile up listeners. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
