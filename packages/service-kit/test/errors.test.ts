import { AppError, toProblem } from '../src';

describe('toProblem', () => {
  it('when the answer is a 503, then it says when to retry (one second by default)', () => {
    expect(toProblem(new AppError('dependency-unavailable')).headers).toEqual({
      'retry-after': '1',
    });
    expect(toProblem(new AppError('not-ready')).headers).toEqual({ 'retry-after': '1' });
  });

  it('when the error names its own Retry-After, then that one is kept', () => {
    const error = new AppError('dependency-unavailable', { headers: { 'Retry-After': '5' } });
    expect(toProblem(error).headers).toEqual({ 'Retry-After': '5' });
  });

  it('when the answer is not a 503, then no Retry-After is added', () => {
    expect(toProblem(new AppError('dependency-timeout')).headers).toEqual({});
    expect(toProblem(new Error('boom')).headers).toEqual({});
  });

  it('when the error has extension members, then the problem carries them and they never replace a standard member', () => {
    const error = new AppError('dependency-timeout', {
      members: { orderId: '5b0c7c1e-8d2f-4f5a-9a57-1f0b1c2d3e4f', code: 'something-else' },
    });
    expect(toProblem(error).problem).toEqual({
      type: 'urn:mesh:problem:dependency-timeout',
      title: 'A service this request needs did not answer in time',
      status: 504,
      code: 'dependency-timeout',
      orderId: '5b0c7c1e-8d2f-4f5a-9a57-1f0b1c2d3e4f',
    });
  });
});
