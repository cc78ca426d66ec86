import { Fixture, type FixtureMessage } from './support/fixture';

interface Sampling extends FixtureMessage {
  rootsSampled: number;
  childOfSampled: boolean;
  childOfUnsampled: boolean;
}

async function sampleWith(env: Record<string, string>): Promise<Sampling> {
  const fixture = Fixture.start('sampling', env);
  try {
    return await fixture.message<Sampling>('sampling');
  } finally {
    await fixture.stop();
  }
}

// The fixture starts 200 root spans and one child each of a sampled and an unsampled remote parent.
describe('sampler chosen from the environment', () => {
  it('when no sampler is set, then the default parent-based always-on samples every root and follows the parent', async () => {
    await expect(sampleWith({})).resolves.toMatchObject({
      rootsSampled: 200,
      childOfSampled: true,
      childOfUnsampled: false,
    });
  });

  it('when parentbased_traceidratio is 0, then no root is sampled but a sampled parent is still followed', async () => {
    await expect(
      sampleWith({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }),
    ).resolves.toMatchObject({ rootsSampled: 0, childOfSampled: true, childOfUnsampled: false });
  });

  it('when parentbased_traceidratio is 0.25, then about a quarter of the roots are sampled', async () => {
    const result = await sampleWith({
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    // 200 draws at p=0.25: mean 50, standard deviation about 6; these bounds are > 4 sigma out.
    expect(result.rootsSampled).toBeGreaterThan(20);
    expect(result.rootsSampled).toBeLessThan(85);
    expect(result.childOfSampled).toBe(true);
  });

  it('when always_off is set, then nothing is sampled, not even under a sampled parent', async () => {
    await expect(sampleWith({ OTEL_TRACES_SAMPLER: 'always_off' })).resolves.toMatchObject({
      rootsSampled: 0,
      childOfSampled: false,
    });
  });
});
