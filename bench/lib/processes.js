// Child processes of the benchmark: servers pinned to one core, load generators to the other.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

/** Where taskset lives, or undefined when this machine has none (then nothing is pinned). */
export const TASKSET = findTaskset();

/** Core of the servers under test. */
export const SERVER_CORE = 0;
/** Core of the load generators and callers. */
export const LOAD_CORE = 1;

function findTaskset() {
  for (const path of ['/usr/bin/taskset', '/bin/taskset']) {
    if (spawnSync(path, ['-c', '0', 'true']).status === 0) return path;
  }
  return undefined;
}

/** Argv that runs `node script args` on `core` (unpinned when taskset is missing). */
function pinnedArgv(core, nodeArgs, script, args) {
  const node = [process.execPath, ...nodeArgs, script, ...args];
  return TASKSET === undefined ? node : [TASKSET, '-c', String(core), ...node];
}

/**
 * Starts a long-lived child pinned to `core` and waits until it reports ready: over IPC
 * (`process.send({ ready: true, ... })`) or, for a program that cannot (the m2m-auth CLI), a
 * line of its stderr matching `readyPattern`.
 *
 * @returns `{ info, request(message), stop() }`; `info` is the ready message (or the regex match).
 */
export async function startPinned({
  core = SERVER_CORE,
  script,
  args = [],
  nodeArgs = [],
  env = {},
  stdout = 'ignore',
  readyPattern,
  startTimeoutMs = 30_000,
}) {
  const [command, ...argv] = pinnedArgv(core, nodeArgs, script, args);
  const child = spawn(command, argv, {
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', stdout, 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const exited = once(child, 'exit');
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} was not ready within ${startTimeoutMs} ms:\n${stderr}`)),
      startTimeoutMs,
    );
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-20_000);
      const match = readyPattern?.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.on('message', (message) => {
      if (message?.ready) {
        clearTimeout(timer);
        resolve(message);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal}) before it was ready:\n${stderr}`));
    });
  });
  let info;
  try {
    info = await ready;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  let nextId = 0;
  return {
    info,
    pid: child.pid,
    /**
     * Sends `message` over IPC and resolves with the child's reply (same `id`, no `type`);
     * messages of the child with that `id` and a `type` go to `onProgress`.
     */
    request(message, timeoutMs = 10_000, onProgress = () => {}) {
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.off('message', onMessage);
          reject(new Error(`${script} did not answer ${message.type} in ${timeoutMs} ms`));
        }, timeoutMs);
        const onMessage = (reply) => {
          if (reply?.id !== id) return;
          if (reply.type !== undefined) {
            onProgress(reply);
            return;
          }
          clearTimeout(timer);
          child.off('message', onMessage);
          if (reply.error !== undefined) reject(new Error(`${script}: ${reply.error}`));
          else resolve(reply);
        };
        child.on('message', onMessage);
        child.send({ ...message, id });
      });
    },
    /** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Runs `node script args` to completion pinned to `core` and parses the JSON its stdout's last
 * line holds. `onMessage` receives what the child sends over IPC meanwhile.
 *
 * @throws Error with the child's stderr when it exits non-zero, prints no JSON, or outlives
 *   `timeoutMs`.
 */
export async function runPinned({
  core,
  script,
  args = [],
  nodeArgs = [],
  env = {},
  timeoutMs,
  onMessage,
}) {
  const [command, ...argv] = pinnedArgv(core, nodeArgs, script, args);
  const child = spawn(command, argv, {
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  if (onMessage !== undefined) child.on('message', onMessage);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(`${script} ${args.join(' ')} failed (${code ?? signal}):\n${stderr}`);
  }
  const lastLine = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(lastLine);
  } catch {
    throw new Error(`${script} printed no JSON result:\n${stdout}\n${stderr}`);
  }
}

/** CPU seconds (user + system, all threads) process `pid` has used so far; undefined without /proc. */
export function processCpuSec(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}

/**
 * Resident memory of process `pid` now and at its peak (VmRSS, VmHWM), MB; undefined without /proc.
 */
export function processMemoryMB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kB = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rssMB: kB('VmRSS') / 1024, peakRssMB: kB('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS_PER_SEC = Number(
  spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim() || 100,
);

/**
 * CPU seconds core `core` has spent busy so far (user, nice, system, irq, softirq and steal, all
 * processes); undefined without /proc. Minus what a process pinned there used, it tells how much
 * of the core other processes took during a measurement.
 */
export function coreBusySec(core) {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((row) => row.startsWith(`cpu${core} `));
    const [user, nice, system, , , irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SEC;
  } catch {
    return undefined;
  }
}
