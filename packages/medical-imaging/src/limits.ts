// The limit on the bytes a read allocates, shared by the sharp path (image-reader.ts) and the DICOM
// reader: one option, `maxDecodedBytes`, one default, one message.
import { AppliedMLError, describeValue } from '@appliedml/engine';

/**
 * Default limit on the bytes a read allocates (`maxDecodedBytes`): 1.5 GiB, what an 8,192 × 8,192
 * RGBA image at 16 bits needs when `readMedicalImage` reads it with `color: true` (24 bytes a pixel). A
 * 16,384 × 16,384 RGB image (2^28 pixels, within `maxPixels`) needs 1.75 GiB as grayscale and 4.75 GiB
 * with `color: true`, and is refused before decoding. DICOM is counted from its header the same way
 * (`readDicom`'s `maxDecodedBytes`): one 16,384 × 16,384 16-bit frame needs 1.5 GiB to read (its values
 * and two frames of decoding copies), 3.5 GiB with `readMedicalImage`'s Float32 images (8 bytes a pixel).
 */
export const DEFAULT_MAX_DECODED_BYTES = 1.5 * 2 ** 30;

/** A size limit option: a positive integer when given (a NaN or a fraction would turn the check off or be unclear). */
export function checkLimit(name: 'maxPixels' | 'maxDecodedBytes' | 'maxBytes', value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value > 0))
    throw new AppliedMLError('E_INPUT_INVALID', `${name} must be a positive integer (got ${describeValue(value)}).`, {
      details: { field: name },
    });
}

/** Bytes as the messages write them: MiB under a GiB, else GiB. */
export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
