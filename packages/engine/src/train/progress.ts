import cliProgress from 'cli-progress';
import { checkProgressOption } from '../option-checks';

/** A progress bar on an interactive terminal (stderr), nothing otherwise. */
export interface Progress {
  start(total: number, label: string): void;
  update(done: number, fields?: Record<string, string>): void;
  stop(): void;
}

const silent: Progress = { start() {}, update() {}, stop() {} };

/**
 * A progress bar on `stream` (stderr by default). `'auto'` shows it only on an interactive terminal
 * outside CI; `true` always (every 2 s when not a terminal); `false` never: the returned object then does nothing.
 * Anything else (the text 'false', a function) is E_INPUT_INVALID (`checkProgressOption`), not read by its truthiness.
 */
export function createProgress(enabled: boolean | 'auto' = 'auto', stream: NodeJS.WriteStream = process.stderr): Progress {
  checkProgressOption('progress', enabled);
  const on = enabled === 'auto' ? Boolean(stream.isTTY) && process.env.CI === undefined : enabled;
  if (!on) return silent;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: ' {label} |{bar}| {value}/{total} {info}',
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      noTTYOutput: enabled === true && !stream.isTTY,
      notTTYSchedule: 2000,
    },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    start(total, label) {
      if (running) bar.stop();
      bar.start(total, 0, { label, info: '' });
      running = true;
    },
    update(done, fields) {
      bar.update(done, {
        info: fields
          ? Object.entries(fields)
              .map(([k, v]) => `${k} ${v}`)
              .join('  ')
          : '',
      });
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
