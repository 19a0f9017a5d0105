/**
 * `parapet verifier`: turns a password into the SCRAM-SHA-256 verifier the secrets file holds, so
 * no plaintext password needs to be stored. The password is read from standard input (the first
 * line), never from an argument, where it would show in the process list and shell history.
 */
import type { Command } from 'commander';
import { createVerifier } from '../../protocol/scram.js';

/** PostgreSQL's default; fewer makes a stolen secrets file cheaper to attack. */
const MIN_ITERATIONS = 4096;

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
}

export function register(program: Command): void {
  program
    .command('verifier')
    .description('print the SCRAM-SHA-256 verifier of a password read from standard input, for the secrets file')
    .option('--iterations <n>', `PBKDF2 iterations (at least ${MIN_ITERATIONS})`, String(MIN_ITERATIONS))
    .addHelpText('after', '\nExample:\n  printf %s "$NEW_PASSWORD" | parapet verifier   # then: actors: { alice: <printed line> }')
    .action(async (options: { iterations: string }) => {
      const iterations = Number(options.iterations);
      if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS) {
        process.stderr.write(`parapet: error: \`--iterations\` must be an integer of at least ${MIN_ITERATIONS}, not \`${options.iterations}\`\n`);
        process.exit(2);
      }
      if (process.stdin.isTTY) process.stderr.write('password (input is shown; pipe it in to keep it off the screen): ');
      const password = await readFirstLine(process.stdin);
      if (password.length === 0) {
        process.stderr.write('parapet: error: no password on standard input\n  hint: printf %s "$PASSWORD" | parapet verifier\n');
        process.exit(2);
      }
      process.stdout.write(`${createVerifier(password, { iterations })}\n`);
    });
}
