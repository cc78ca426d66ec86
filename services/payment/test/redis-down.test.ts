import {
  type CountingProcessor,
  chargeRequest,
  countingProcessor,
  expectProblem,
  type PaymentTestApp,
  startPaymentApp,
} from './support/payment-app';

describe('when Redis is unreachable', () => {
  let app: PaymentTestApp;
  let processor: CountingProcessor;

  beforeAll(async () => {
    processor = countingProcessor({ latencyMs: 40, jitterMs: 10 });
    // Nothing listens on port 1: every lock attempt fails at once.
    app = await startPaymentApp({ processor, redisUrl: 'redis://127.0.0.1:1' });
  });
  afterAll(() => app.stop());

  it('then a charge still succeeds exactly once, guarded by the database', async () => {
    const request = chargeRequest();
    const first = await app.charge(request);
    const second = await app.charge(request);

    expect(first.status).toBe(201);
    expect(first.body.status).toBe('CHARGED');
    expect(second).toEqual({ status: 200, body: first.body });
    expect(await app.rowsOf(request.orderId)).toHaveLength(1);
    expect(processor.callsFor(request.orderId)).toBe(1);
  });

  it('then racing charges still reach the processor once', async () => {
    const request = chargeRequest();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => app.post('/payments', request)),
    );

    expect(processor.callsFor(request.orderId)).toBe(1);
    expect(await app.rowsOf(request.orderId)).toHaveLength(1);
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    for (const response of responses) {
      if (response.status === 409) await expectProblem(response, 409, 'payment-in-progress');
      else expect([200, 201]).toContain(response.status);
    }
  });

  it('then /readyz is 503 naming redis, while /healthz is 200', async () => {
    expect((await fetch(`${app.base}/healthz`)).status).toBe(200);
    const problem = await expectProblem(await fetch(`${app.base}/readyz`), 503, 'not-ready');
    expect(problem.detail).toMatch(/redis (failing|timeout)/);
    expect(problem.detail).not.toContain('postgres');
  });
});
