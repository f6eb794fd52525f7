import type { Logger } from '@appliedml/engine';

/**
 * The logger the CLI gives the SDK: its warnings on stderr (each distinct one once: the baselines trained
 * beside a model would repeat the same note about the data), its info and debug lines left out (the
 * commands print their own lines about what they did).
 */
export function warningLogger(
  prefix = 'traffic-demo',
  write: (line: string) => void = (line) => {
    process.stderr.write(line);
  },
): Logger {
  const told = new Set<string>();
  return {
    debug() {},
    info() {},
    warn(message) {
      if (told.has(message)) return;
      told.add(message);
      write(`[${prefix}] warning: ${message}\n`);
    },
  };
}
