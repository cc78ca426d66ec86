import {
  type CpuProfile,
  codeKind,
  codeOrigin,
  cpuByKind,
  openTelemetrySamplesByFunction,
  profilePid,
  samplesByOrigin,
  shareOut,
} from '../src/cpu-profile';

describe('codeOrigin', () => {
  it('names the npm package, scoped or not, from the innermost node_modules', () => {
    expect(
      codeOrigin(
        'export',
        'file:///repo/node_modules/.pnpm/@opentelemetry+sdk-trace-base@2.2.0/node_modules/@opentelemetry/sdk-trace-base/build/src/Span.js',
      ),
    ).toBe('@opentelemetry/sdk-trace-base');
    expect(
      codeOrigin('query', '/repo/node_modules/.pnpm/pg@8.16.0/node_modules/pg/lib/client.js'),
    ).toBe('pg');
  });

  it('names the part of Node.js, internal or public', () => {
    expect(codeOrigin('run', 'node:internal/async_local_storage/async_hooks')).toBe(
      'node:async_local_storage',
    );
    expect(codeOrigin('emit', 'node:events')).toBe('node:events');
    expect(codeOrigin('write', 'node:internal/streams/writable')).toBe('node:streams');
  });

  it("names Mesh's services and packages", () => {
    expect(
      codeOrigin('placeOrder', 'file:///work/main/services/order/dist/domain/place-order.js'),
    ).toBe('service: order');
    expect(codeOrigin('', '/work/main/packages/telemetry/dist/register.js')).toBe(
      '@mesh/telemetry',
    );
  });

  it("puts V8's own frames apart and marks idle time", () => {
    expect(codeOrigin('(garbage collector)', '')).toBe('V8: garbage collection');
    expect(codeOrigin('(program)', '')).toBe('V8: builtins, compiler and runtime');
    expect(codeOrigin('JSON.parse', '')).toBe('V8: builtins, compiler and runtime');
    expect(codeOrigin('(idle)', '')).toBe('(idle)');
  });
});

describe('codeKind', () => {
  it('sorts origins into the kinds the document lists', () => {
    expect(codeKind('@opentelemetry/api')).toBe('OpenTelemetry packages');
    expect(codeKind('kafkajs')).toBe('other libraries');
    expect(codeKind('@mesh/service-kit')).toBe('Mesh code');
    expect(codeKind('service: inventory')).toBe('Mesh code');
    expect(codeKind('node:net')).toBe('Node.js core');
    expect(codeKind('V8: garbage collection')).toBe('V8: garbage collection');
    expect(codeKind('V8: builtins, compiler and runtime')).toBe(
      'V8: builtins, compiler and runtime',
    );
  });
});

describe('samplesByOrigin and shareOut', () => {
  const frame = (id: number, functionName: string, url: string) => ({
    id,
    callFrame: { functionName, url },
  });
  // Samples at 1000, 2000, 3000, 4000 and 6000 µs.
  const profile: CpuProfile = {
    nodes: [
      frame(1, '(root)', ''),
      frame(2, 'query', '/r/node_modules/pg/lib/client.js'),
      frame(3, '(idle)', ''),
      frame(4, 'emit', 'node:events'),
    ],
    startTime: 0,
    endTime: 6000,
    samples: [2, 2, 3, 4, 2],
    timeDeltas: [1000, 1000, 1000, 1000, 2000],
  };

  it('counts the samples in the window by origin, leaving idle ones out', () => {
    expect(samplesByOrigin(profile, 0, 10_000)).toEqual({ pg: 3, 'node:events': 1 });
    expect(samplesByOrigin(profile, 2000, 5000)).toEqual({ pg: 1, 'node:events': 1 });
    expect(samplesByOrigin(profile, 7000, 9000)).toEqual({});
  });

  it("counts OpenTelemetry's samples by package and function, nothing else", () => {
    const traced: CpuProfile = {
      ...profile,
      nodes: [
        ...profile.nodes,
        frame(5, 'startSpan', '/r/node_modules/@opentelemetry/sdk-trace/build/Tracer.js'),
        frame(6, '', '/r/node_modules/@opentelemetry/core/build/index.js'),
      ],
      samples: [5, 5, 6, 2, 3],
    };
    expect(openTelemetrySamplesByFunction(traced, 0, 10_000)).toEqual({
      '@opentelemetry/sdk-trace startSpan': 2,
      '@opentelemetry/core (anonymous)': 1,
    });
  });

  it("shares a process's measured CPU out in proportion to its samples", () => {
    expect(shareOut(8, { pg: 3, 'node:events': 1 })).toEqual({ pg: 6, 'node:events': 2 });
    expect(shareOut(8, {})).toEqual({});
    expect(shareOut(Number.NaN, { pg: 1 })).toEqual({});
    // Some of a process's samples, out of all of them.
    expect(shareOut(8, { pg: 1 }, 4)).toEqual({ pg: 2 });
  });

  it('sums origins into kinds, every kind present', () => {
    const byKind = cpuByKind({ pg: 2, kafkajs: 1, 'node:events': 4 });
    expect(byKind['other libraries']).toBe(3);
    expect(byKind['Node.js core']).toBe(4);
    expect(byKind['OpenTelemetry packages']).toBe(0);
  });
});

describe('profilePid', () => {
  it('reads the pid from the name node --cpu-prof gives a profile', () => {
    expect(profilePid('CPU.20261201.022721.27126.0.001.cpuprofile')).toBe(27126);
    expect(profilePid('Heap.20261201.022721.27126.0.001.heapprofile')).toBeUndefined();
    expect(profilePid('notes.txt')).toBeUndefined();
  });
});
