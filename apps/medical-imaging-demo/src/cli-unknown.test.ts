// Found in session 30 (RF2's F7): `medical-imaging-demo tarin` printed the usage alone on stdout, as if asked for,
// and exited 2; the other demo CLIs say an unknown command as an error with the usage below it, exit 1.
import { fileURLToPath } from 'node:url';
import { runCli } from '@appliedml/demo-kit';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));

describe('medical-imaging-demo with a command it does not have', () => {
  it("says unknown command 'x' as an error, then a blank line and the usage, and fails", async () => {
    const r = await runCli(cli, ['tarin', '--task', 'classifier']);
    expect([r.status, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(/^error E_INPUT_INVALID: Unknown command 'tarin'\.\n\nappliedml medical imaging demo .*\nusage:\n/s);
  }, 60_000);
});
