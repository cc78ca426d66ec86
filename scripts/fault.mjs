#!/usr/bin/env node
// Switches the workshop faults in the flag file the services watch (infra/flags/mesh.flagd.json,
// or FLAGS_FILE). The services re-read it within about 5 s; nothing restarts.
//
//   pnpm fault list                        every flag, whether it is on, and what it does
//   pnpm fault payment-latency-ms on       the flag's "on" variant
//   pnpm fault payment-latency-ms slow     another variant the file names
//   pnpm fault payment-latency-ms 1500     a value of your own (kept as the "custom" variant)
//   pnpm fault payment-latency-ms off      back to the default
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file =
  process.env.FLAGS_FILE ??
  join(dirname(fileURLToPath(import.meta.url)), '..', 'infra', 'flags', 'mesh.flagd.json');

function fail(message) {
  console.error(`fault: ${message}`);
  process.exit(2);
}

function readFlags() {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Write a temporary file beside it, then rename: a reader never sees half a file. */
function writeFlags(document) {
  const temporary = join(dirname(file), `.${process.pid}.flagd.json.tmp`);
  writeFileSync(temporary, `${JSON.stringify(document, null, 2)}\n`);
  renameSync(temporary, file);
}

// A flag is off on its "off" variant, or with no default variant (the service's own setting).
function stateOf(flag) {
  const variant = flag.defaultVariant;
  if (variant === null || variant === undefined || variant === 'off') return 'off';
  return `${variant} (${JSON.stringify(flag.variants[variant])})`;
}

/** The value the command line gives, as the type of the flag's variants. */
function parseValue(flag, text) {
  const sample = Object.values(flag.variants)[0];
  if (typeof sample === 'number') {
    const value = Number(text);
    if (!Number.isFinite(value)) fail(`"${text}" is not a number`);
    return value;
  }
  if (typeof sample === 'boolean') fail(`a boolean flag is switched with on or off`);
  return text;
}

function list(flags) {
  for (const [name, flag] of Object.entries(flags)) {
    console.log(`${name}: ${stateOf(flag)}\n  variants: ${JSON.stringify(flag.variants)}`);
    if (flag.description) console.log(`  ${flag.description}`);
  }
}

function usage() {
  return 'usage: pnpm fault list | pnpm fault <flag> on|off|<variant>|<value>';
}

const [name, setting] = process.argv.slice(2);
const document = readFlags();
const flags = document.flags ?? {};

if (name === undefined || name === 'list') {
  list(flags);
  process.exit(0);
}
const flag = flags[name];
if (!flag) fail(`no flag "${name}" in ${file}; known: ${Object.keys(flags).join(', ')}`);
if (setting === undefined) fail(usage());

if (setting === 'off') {
  flag.defaultVariant = 'off' in flag.variants ? 'off' : null;
} else if (setting in flag.variants) {
  flag.defaultVariant = setting;
} else {
  flag.variants.custom = parseValue(flag, setting);
  flag.defaultVariant = 'custom';
}
writeFlags(document);
console.log(`${name}: ${stateOf(flag)}`);
