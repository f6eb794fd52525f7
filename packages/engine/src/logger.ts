/** Library code is quiet by default: pass a logger to hear from it. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
};

/** A logger that writes to stderr, for CLIs and demos. */
export function consoleLogger(options: { debug?: boolean; prefix?: string } = {}): Logger {
  const prefix = options.prefix ?? 'appliedml';
  const line = (level: string, message: string, fields?: Record<string, unknown>): void => {
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    process.stderr.write(`[${prefix}] ${level}${message}${extra}\n`);
  };
  return {
    debug: (m, f) => {
      if (options.debug) line('debug: ', m, f);
    },
    info: (m, f) => line('', m, f),
    warn: (m, f) => line('warning: ', m, f),
  };
}
