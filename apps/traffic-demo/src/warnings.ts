import type { Logger } from '@appliedml/engine';

/**
 * The logger the CLI gives the SDK: its warnings on stderr, each distinct one once (the models and
 * baselines trained on the same data would each repeat the same note about it), and its debug lines left
 * out. Its info lines (the device picked, early stopping) only with `info` (the demo's progress); the other
 * commands print their own lines about what they did. `rewrite` words a warning for the reader (the CLI
 * names its flags, not the SDK's options) or drops one the CLI has already given.
 */
export function warningLogger(
  prefix = 'traffic-demo',
  write: (line: string) => void = (line) => {
    process.stderr.write(line);
  },
  options: {
    info?: boolean;
    /** A warning as printed (e.g. in the CLI's flags), or undefined to leave it out (the CLI already said it). */
    rewrite?: (message: string, fields: Record<string, unknown> | undefined) => string | undefined;
  } = {},
): Logger {
  const told = new Set<string>();
  return {
    debug() {},
    info(message) {
      if (options.info) write(`[${prefix}] ${message}\n`);
    },
    warn(original, fields) {
      const message = options.rewrite ? options.rewrite(original, fields) : original;
      if (message === undefined || told.has(message)) return;
      told.add(message);
      write(`[${prefix}] warning: ${message}\n`);
    },
  };
}
