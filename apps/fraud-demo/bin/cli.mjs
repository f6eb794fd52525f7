#!/usr/bin/env -S node --conditions=@appliedml/source
// The bin: the CLI runs in this process, tsx's loader registered here (found beside the clone, not from the working
// directory). Started through tsx's own CLI, it ran in a child process that tsx killed (SIGKILL) when it did not answer
// a Ctrl-C within 60 ms, as a training step keeps it from doing: the CLI's own stop never ran. (`node --import tsx`
// in the hashbang fails: tsx reads a hashbang holding the word import as code, tsx issue #842.)
import 'tsx';
await import('../src/cli.ts');
