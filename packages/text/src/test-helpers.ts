import { AppliedMLError, createRng } from '@appliedml/engine';
import type { TextExample } from './loaders';

/** A small hand-written ticket-routing set (not a benchmark: lifecycle and bad-input tests only). */
export const TICKETS: TextExample[] = [
  ['My invoice shows a double charge this month', 'billing'],
  ['I was billed twice for the same order', 'billing'],
  ['Please refund the payment taken by mistake', 'billing'],
  ['How do I update the credit card on my account', 'billing'],
  ['The price on my receipt is wrong', 'billing'],
  ['Can I get a copy of last month invoice', 'billing'],
  ['Charge on my card that I do not recognise', 'billing'],
  ['Refund still not received after two weeks', 'billing'],
  ['The app crashes when I open the settings page', 'bug'],
  ['Error 500 when saving my profile', 'bug'],
  ['The login button does nothing on Android', 'bug'],
  ['Page freezes after I upload a photo', 'bug'],
  ['Search returns an error message every time', 'bug'],
  ['The export to PDF crashes the browser', 'bug'],
  ['Notifications stopped working after the update', 'bug'],
  ['Screen goes blank when I press save', 'bug'],
  ['Where is my parcel, it has not arrived', 'delivery'],
  ['The courier left my package at the wrong address', 'delivery'],
  ['Tracking number shows no movement for days', 'delivery'],
  ['When will my order be delivered', 'delivery'],
  ['Delivery was late and the box was damaged', 'delivery'],
  ['Can I change the delivery address of my order', 'delivery'],
  ['My package is stuck at the depot', 'delivery'],
  ['Parcel marked delivered but nothing arrived', 'delivery'],
].map(([text, label]) => ({ text: text as string, label: label as string }));

export async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return AppliedMLError.isInstance(e) ? e.code : `not-appliedml: ${String(e)}`;
  }
  return undefined;
}

/** Review-like texts over a Zipf-ish vocabulary of made-up words, three labels. */
export function reviewCorpus(n: number, seed: number): { text: string; label: string }[] {
  const rng = createRng(seed);
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'po', 'si', 'de', 'fu', 'ga', 'hi', 'jo', 'be', 'vu', 'zo'];
  const words = Array.from({ length: 30_000 }, (_, i) => {
    let w = '';
    let x = i + 7;
    do {
      w += syllables[x % 16];
      x = Math.floor(x / 16);
    } while (x > 0);
    return w;
  });
  return Array.from({ length: n }, (_, i) => {
    const label = ['alpha', 'beta', 'gamma'][i % 3] as string;
    const length = 8 + Math.floor(rng.next() * 25);
    const text: string[] = [];
    for (let k = 0; k < length; k++) text.push(words[Math.floor(words.length * rng.next() ** 3)] as string);
    text.push(label);
    return { text: text.join(' '), label };
  });
}

/**
 * Runs `work` with a 5 ms timer probing the event loop: the longest stretch between two ticks, in wall
 * time and in this process's CPU time (the CPU time is what the work spent; the wall time also counts
 * other processes on a busy machine). One more tick after it, so a stretch at its very end is measured too.
 */
export async function longestPause<T>(work: () => Promise<T>): Promise<{ result: T; wallMs: number; cpuMs: number }> {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let wallMs = 0;
  let cpuMs = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    wallMs = Math.max(wallMs, now - last);
    cpuMs = Math.max(cpuMs, (cpu.user + cpu.system) / 1000);
    last = now;
    lastCpu = process.cpuUsage();
  }, 5);
  try {
    const result = await work();
    await new Promise((resolve) => setTimeout(resolve, 30));
    return { result, wallMs, cpuMs };
  } finally {
    clearInterval(probe);
  }
}
