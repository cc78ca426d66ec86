import { fileURLToPath } from 'node:url';

/** A V8 CPU profile as `node --cpu-prof` writes it: the fields read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  /** Microseconds on CLOCK_MONOTONIC, the clock of `process.hrtime` in every process. */
  startTime: number;
  endTime: number;
  /** The node on top of the stack at each sample. */
  samples: number[];
  /** Microseconds from the previous sample (the first: from `startTime`). */
  timeDeltas: number[];
}

/** Samples taken while the thread waited for work: not CPU. */
const IDLE = '(idle)';

/** The broad kinds of code the profile's origins fall into, in the order the document lists them. */
export const CODE_KINDS = [
  'OpenTelemetry packages',
  'other libraries',
  'Mesh code',
  'Node.js core',
  'V8: garbage collection',
  'V8: builtins, compiler and runtime',
] as const;
export type CodeKind = (typeof CODE_KINDS)[number];

/**
 * Where a frame's code comes from: an npm package (`pg`, `@opentelemetry/sdk-trace-base`), a
 * Mesh package or service (`@mesh/telemetry`, `service: order`), a part of Node.js
 * (`node:async_hooks`), or V8 itself.
 */
export function codeOrigin(functionName: string, url: string): string {
  if (!url) {
    if (functionName === '(idle)') return IDLE;
    if (functionName === '(garbage collector)') return 'V8: garbage collection';
    return 'V8: builtins, compiler and runtime';
  }
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope = '', name = ''] = path.slice(modules + '/node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  if (path.startsWith('node:')) {
    const [part = ''] = path
      .slice('node:'.length)
      .replace(/^internal\//, '')
      .split('/');
    return `node:${part}`;
  }
  const mesh = /\/(services|packages)\/([^/]+)\//.exec(path);
  if (mesh) return mesh[1] === 'services' ? `service: ${mesh[2]}` : `@mesh/${mesh[2]}`;
  return 'other code';
}

export function codeKind(origin: string): CodeKind {
  if (origin.startsWith('V8: garbage')) return 'V8: garbage collection';
  if (origin.startsWith('V8: ')) return 'V8: builtins, compiler and runtime';
  if (origin.startsWith('node:')) return 'Node.js core';
  if (origin.startsWith('@opentelemetry/')) return 'OpenTelemetry packages';
  if (origin.startsWith('@mesh/') || origin.startsWith('service: ')) return 'Mesh code';
  return 'other libraries';
}

/**
 * Samples by origin of the code on top of the stack, over those taken from `fromUs` to `toUs`
 * (CLOCK_MONOTONIC microseconds); idle samples are left out. Samples are counted, not timed: the
 * gap before a sample is wall time, and on a busy machine much of it is spent waiting for a core,
 * while a thread that waits gets one sample, however many the profiler asked for meanwhile.
 */
export function samplesByOrigin(
  profile: CpuProfile,
  fromUs: number,
  toUs: number,
): Record<string, number> {
  return countSamples(profile, fromUs, toUs, (origin) => origin);
}

/**
 * Samples in OpenTelemetry's packages by function, keyed `<package> <function>`, over the same
 * window: which of its code the CPU went to.
 */
export function openTelemetrySamplesByFunction(
  profile: CpuProfile,
  fromUs: number,
  toUs: number,
): Record<string, number> {
  return countSamples(profile, fromUs, toUs, (origin, functionName) =>
    codeKind(origin) === 'OpenTelemetry packages'
      ? `${origin} ${functionName || '(anonymous)'}`
      : undefined,
  );
}

function countSamples(
  profile: CpuProfile,
  fromUs: number,
  toUs: number,
  keyOf: (origin: string, functionName: string) => string | undefined,
): Record<string, number> {
  const keys = new Map(
    profile.nodes.map((node) => {
      const origin = codeOrigin(node.callFrame.functionName, node.callFrame.url);
      return [node.id, origin === IDLE ? undefined : keyOf(origin, node.callFrame.functionName)];
    }),
  );
  const counts: Record<string, number> = {};
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t >= toUs) continue;
    const key = keys.get(profile.samples[i] as number);
    if (key !== undefined) counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * A process's measured CPU shared out among the origins (or functions) in proportion to their
 * samples, out of `total` samples: the profile says where, the process's CPU counters say how
 * much.
 */
export function shareOut(
  measured: number,
  samples: Record<string, number>,
  total = Object.values(samples).reduce((sum, n) => sum + n, 0),
): Record<string, number> {
  if (total === 0 || !Number.isFinite(measured)) return {};
  return Object.fromEntries(
    Object.entries(samples).map(([origin, n]) => [origin, (measured * n) / total]),
  );
}

/** Sums origins into their kinds. */
export function cpuByKind(byOrigin: Record<string, number>): Record<CodeKind, number> {
  const byKind = Object.fromEntries(CODE_KINDS.map((kind) => [kind, 0])) as Record<
    CodeKind,
    number
  >;
  for (const [origin, ms] of Object.entries(byOrigin)) byKind[codeKind(origin)] += ms;
  return byKind;
}

/** The pid in the file name `node --cpu-prof` gives a profile: CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile. */
export function profilePid(fileName: string): number | undefined {
  const match = /^CPU\.\d+\.\d+\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(fileName);
  return match ? Number(match[1]) : undefined;
}
