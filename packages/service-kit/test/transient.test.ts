import { AppError, isTransientError, PoisonMessageError, toProblem } from '../src';

/** What undici's fetch throws when nothing listens: a TypeError whose cause has the errno code. */
function fetchFailed(code: string): TypeError {
  const cause = Object.assign(new Error(`connect ${code} 127.0.0.1:8083`), { code });
  return new TypeError('fetch failed', { cause });
}

describe('isTransientError', () => {
  it.each([
    ['a refused connection behind fetch', fetchFailed('ECONNREFUSED')],
    [
      'a PostgreSQL statement timeout',
      Object.assign(new Error('canceling statement'), { code: '57014' }),
    ],
    [
      'PostgreSQL shutting down',
      Object.assign(new Error('terminating connection'), { code: '57P01' }),
    ],
    ['a pool that cannot connect', new Error('timeout exceeded when trying to connect')],
    ['a dependency answering 503', new AppError('dependency-unavailable')],
    ['a dependency timing out', new AppError('dependency-timeout')],
    [
      'a wrapped cause two levels down',
      new Error('charge failed', {
        cause: new Error('outer', { cause: fetchFailed('ECONNRESET') }),
      }),
    ],
    [
      'one member of an AggregateError',
      new AggregateError([new Error('x'), fetchFailed('ECONNREFUSED')]),
    ],
  ])('when the error is %s, then it is transient', (_what, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a refusal of the input', new AppError('invalid-request')],
    ['a message that can never be processed', new PoisonMessageError('the value is not JSON')],
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['not an error at all', 'boom'],
  ])('when the error is %s, then it is not transient', (_what, error) => {
    expect(isTransientError(error)).toBe(false);
  });

  it('when a cause chain loops, then the check still ends', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(isTransientError(a)).toBe(false);
  });
});

describe('toProblem for errors that are not AppErrors', () => {
  it('when a backing service is down, then the answer is 503 with Retry-After, naming no internals', () => {
    const { status, headers, problem } = toProblem(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    );
    expect(status).toBe(503);
    expect(headers).toEqual({ 'retry-after': '1' });
    expect(problem.code).toBe('dependency-unavailable');
    expect(JSON.stringify(problem)).not.toContain('5432');
  });

  it('when it is a bug, then the answer is a 500 without its message', () => {
    const { status, problem } = toProblem(new TypeError('secret detail'));
    expect(status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('secret');
  });
});
