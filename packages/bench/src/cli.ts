import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { startKafka } from '@mesh/testkit';
import { Client } from 'pg';
import { type ArmName, type ArmResult, runArm } from './arm';
import { startBenchCollector } from './collector';
import {
  runInstrumentationExperiment,
  runProfileExperiment,
  runScalingExperiment,
} from './experiments';
import { linePlot } from './plot';
import { pidListeningOn } from './proc';
import { PROFILES } from './profiles';
import {
  experimentDefects,
  lagPlot,
  latencyPlot,
  type Machine,
  type Run,
  renderReport,
  runDefects,
} from './report';
import { vegetaVersion } from './vegeta';

// `pnpm bench [--profile short|full] [--only tax,instrumentation,cpu,scaling] [--out <dir>] [--caveat <text>]`
// full writes docs/performance.md and docs/performance/*.svg; short writes to a temporary
// directory unless --out says otherwise. Every run also writes its raw results
// (performance.json); `pnpm bench --from <that file> [--out <dir>]` renders the document and the
// plots again from them without running anything. --only runs some experiments and keeps the
// others' results from the performance.json already in the output directory.

const REPO_ROOT = join(__dirname, '..', '..', '..');
/** The hand-written sections kept at the end of the generated document. */
const NOTES_FILE = join(__dirname, '..', 'notes.md');
const say = (line: string) => process.stdout.write(`${line}\n`);
const EXPERIMENTS = ['tax', 'instrumentation', 'cpu', 'scaling'] as const;

async function machine(kafkaVersion: string): Promise<Machine> {
  const client = new Client({ connectionString: process.env.MESH_TEST_POSTGRES_URL });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
  await client.end();
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    postgres: rows[0]?.server_version ?? 'unknown',
    kafka: kafkaVersion,
    vegeta: vegetaVersion(),
  };
}

/** performance.md and its plots under `out`; returns the document's path. */
async function writeDocument(out: string, run: Run): Promise<string> {
  const plotsDir = join(out, 'performance');
  await mkdir(plotsDir, { recursive: true });
  await writeFile(
    join(plotsDir, 'latency-vs-load.svg'),
    linePlot(latencyPlot(run.arms, run.profile.search.p99LimitMs)),
  );
  await writeFile(join(plotsDir, 'consumer-lag.svg'), linePlot(lagPlot(run.arms)));
  const report = renderReport(
    run,
    {
      latency: relative(out, join(plotsDir, 'latency-vs-load.svg')),
      lag: relative(out, join(plotsDir, 'consumer-lag.svg')),
    },
    await readFile(NOTES_FILE, 'utf8'),
  );
  const reportFile = join(out, 'performance.md');
  await writeFile(reportFile, report);
  return reportFile;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'full' },
      out: { type: 'string' },
      caveat: { type: 'string' },
      from: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const experiments = new Set(
    (values.only ?? EXPERIMENTS.join(',')).split(',').map((e) => e.trim()),
  );
  for (const experiment of experiments) {
    if (!(EXPERIMENTS as readonly string[]).includes(experiment)) {
      throw new Error(`unknown experiment "${experiment}" (${EXPERIMENTS.join(', ')})`);
    }
  }
  if (values.from) {
    const run = JSON.parse(await readFile(values.from, 'utf8')) as Run;
    const out = values.out ?? dirname(values.from);
    await writeDocument(out, { ...run, caveat: values.caveat ?? run.caveat });
    say(`bench: rendered ${join(out, 'performance.md')} from ${values.from}`);
    return 0;
  }
  const profile = PROFILES[values.profile as keyof typeof PROFILES];
  if (!profile) throw new Error(`unknown profile "${values.profile}" (short or full)`);
  const out =
    values.out ??
    (profile.name === 'full'
      ? join(REPO_ROOT, 'docs')
      : await mkdtemp(join(tmpdir(), 'mesh-bench-')));
  const work = await mkdtemp(join(tmpdir(), 'mesh-bench-load-'));
  const started = Date.now();
  say(`bench: profile ${profile.name}, ${profile.pairs} pair(s), writing to ${out}`);

  // Experiments not run now keep their results from the earlier run in the same place.
  const earlier =
    experiments.size < EXPERIMENTS.length
      ? await readFile(join(out, 'performance.json'), 'utf8').then(
          (text) => JSON.parse(text) as Run,
          () => undefined,
        )
      : undefined;
  const kafka = await startKafka();
  const brokerPort = Number(kafka.brokers[0]?.split(':').at(-1));
  const collector = await startBenchCollector();
  const arms: ArmResult[] = [];
  // Ctrl-C mid-run stops the services and drops the arm's database instead of leaving them.
  const cleanups = new Set<() => Promise<void>>();
  const interrupted = async (signal: NodeJS.Signals) => {
    say(`bench: ${signal}: stopping the services and the collector`);
    await Promise.allSettled([...cleanups].map((cleanup) => cleanup()));
    await collector.stop();
    await rm(work, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const context = {
    profile,
    collector,
    kafkaBrokers: kafka.brokers,
    kafkaPid: pidListeningOn(brokerPort),
    dir: work,
    log: say,
    onInterrupt: (cleanup: () => Promise<void>) => {
      cleanups.add(cleanup);
      return () => cleanups.delete(cleanup);
    },
  };
  let instrumentation = earlier?.instrumentation;
  let cpuProfile = earlier?.cpuProfile;
  let scaling = earlier?.scaling;
  try {
    for (let pair = 1; experiments.has('tax') && pair <= profile.pairs; pair++) {
      // Off first in every pair: neither arm always runs on a machine warmed by the other.
      for (const arm of ['off', 'on'] as ArmName[]) {
        say(`bench: pair ${pair}, telemetry ${arm}`);
        const result = await runArm(arm, pair, context);
        say(
          `bench: pair ${pair} ${arm}: sustained ${result.search.sustained}/s; ` +
            `half ${result.half.rate}/s p50 ${result.half.p50Ms.toFixed(0)} ms p99 ${result.half.p99Ms.toFixed(0)} ms` +
            (result.spans
              ? `; spans ${result.spans.accepted}/${result.spans.ended}, dropped ${result.spans.dropped}`
              : ''),
        );
        arms.push(result);
      }
    }
    if (experiments.has('instrumentation')) {
      say('bench: what each part of the telemetry costs');
      instrumentation = await runInstrumentationExperiment(context);
    }
    if (experiments.has('cpu')) {
      say('bench: where the CPU goes');
      cpuProfile = await runProfileExperiment(context);
    }
    if (experiments.has('scaling')) {
      say('bench: how cost grows with instances');
      scaling = await runScalingExperiment(context);
    }
  } finally {
    await collector.stop();
    await kafka.stop();
    await rm(work, { recursive: true, force: true });
  }

  const run: Run =
    earlier && !experiments.has('tax')
      ? {
          ...earlier,
          instrumentation,
          cpuProfile,
          scaling,
          caveat: values.caveat ?? earlier.caveat,
        }
      : {
          profile,
          machine: await machine(kafka.version),
          startedAt: new Date(started).toISOString(),
          durationS: (Date.now() - started) / 1000,
          arms,
          instrumentation,
          cpuProfile,
          scaling,
          caveat: values.caveat,
        };
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'performance.json'), `${JSON.stringify(run, null, 1)}\n`);
  const reportFile = await writeDocument(out, run);
  say(`bench: wrote ${reportFile} in ${Math.round((Date.now() - started) / 1000)} s`);
  const defects = [
    ...(run.arms.length > 0 || experiments.has('tax') ? runDefects(run.arms) : []),
    ...experimentDefects(run),
  ];
  for (const defect of defects) say(`bench: DEFECT: ${defect}`);
  return defects.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: could not run: ${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  },
);
