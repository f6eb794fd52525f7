import { AppliedMLError } from '@appliedml/engine';
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
