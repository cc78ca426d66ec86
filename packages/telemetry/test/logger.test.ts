import { Writable } from 'node:stream';
import { type OtlpCapture, startOtlpCapture } from '@mesh/otlp-capture';
import { eventually } from '@mesh/testkit';
import { createLogger } from '../src/logger';
import { Fixture, fastExportEnv } from './support/fixture';

function memoryDestination(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { lines, stream };
}

describe('createLogger', () => {
  it('when a line is written, then it is JSON with an ISO time, a level label and the message', () => {
    const out = memoryDestination();
    createLogger({ name: 'unit', destination: out.stream }).warn({ orderId: 'o-1' }, 'careful');
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 'warn', name: 'unit', orderId: 'o-1', msg: 'careful' });
    expect(new Date(String(line?.time)).toISOString()).toBe(line?.time);
  });

  it('when a secret is logged, then it is redacted', () => {
    const out = memoryDestination();
    createLogger({ destination: out.stream }).info(
      {
        req: { headers: { authorization: 'Bearer s3cret', 'x-api-key': 'k3y' } },
        payment: { cardNumber: '4111111111111111' },
      },
      'incoming',
    );
    const text = JSON.stringify(out.lines());
    expect(text).not.toMatch(/s3cret|k3y|4111111111111111/);
    expect(text).toContain('[redacted]');
  });
});

describe.each(['express', 'fastify'])('logs inside a %s request', (framework) => {
  let capture: OtlpCapture;
  let server: Fixture;
  let port: number;

  beforeAll(async () => {
    capture = await startOtlpCapture();
    server = Fixture.start('http-server', { FRAMEWORK: framework, ...fastExportEnv(capture.url) });
    ({ port } = await server.message<{ type: string; port: number }>('ready'));
  });
  afterAll(async () => {
    await server.stop();
    await capture.close();
  });

  it('when a handler logs, then the stdout line and the exported record carry the active trace and span id', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/log`);
    const { traceId, spanId } = (await response.json()) as { traceId: string; spanId: string };
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    // The answer can arrive before the child's stdout reaches this process through its pipe.
    const line = await eventually(
      () =>
        server
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.msg === 'handled a request'),
      'the log line on stdout',
      { timeoutMs: 5_000 },
    );
    expect(line).toMatchObject({ trace_id: traceId, span_id: spanId, level: 'info' });

    const record = await capture.waitFor(
      () => capture.logs().find((log) => log.body === 'handled a request'),
      { what: 'the exported log record' },
    );
    expect(record).toMatchObject({
      traceId,
      spanId,
      severityText: 'info',
      serviceName: 'http-server',
    });
    expect(record.attributes).toMatchObject({ route: '/log' });
  });
});
