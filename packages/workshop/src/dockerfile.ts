import { readFileSync } from 'node:fs';

export interface DockerfileInstruction {
  /** Upper case, e.g. FROM, ARG, HEALTHCHECK. */
  instruction: string;
  /** Everything after the instruction keyword, continuation lines joined. */
  args: string;
}

/**
 * The instructions of a Dockerfile, in order: comments dropped, `\` continuations joined. Enough
 * to check what an image is built from and how it runs, not a full parser.
 */
export function readDockerfile(file: string): DockerfileInstruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  return logical.map((line) => {
    const space = line.search(/\s/);
    return space < 0
      ? { instruction: line.toUpperCase(), args: '' }
      : { instruction: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
  });
}

/** The default value of an `ARG NAME=value` instruction, if the Dockerfile declares one. */
export function argDefault(
  instructions: DockerfileInstruction[],
  name: string,
): string | undefined {
  for (const { instruction, args } of instructions) {
    if (instruction !== 'ARG') continue;
    const [argName, value] = args.split('=', 2);
    if (argName === name) return value;
  }
  return undefined;
}
