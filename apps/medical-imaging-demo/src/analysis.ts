// One upload, analysed: read (DICOM or PNG/JPEG/TIFF), classified with Grad-CAM, optionally
// segmented, and drawn as PNG overlays. Runs in the service process or in its pool's workers.
import { AppliedMLError, type ErrorCode } from '@appliedml/engine';
import {
  type ColorImage,
  grayToPng,
  heatmapOverlayPng,
  isDicom,
  maskOverlayPng,
  readMedicalImage,
  type ImageClassifier,
  type ImageSegmenter,
  type MedicalImage,
} from '@appliedml/medical-imaging';
import sharp from 'sharp';
import { COLOUR_NOT_CLASSIFIED, colourPreview, isColourful, outOfDistribution, previewOfColour, stretchAdvice } from './input-checks';

/** Pixel limit for uploads: 8,192 × 8,192, checked from the header before any pixel is decoded. */
export const MAX_UPLOAD_PIXELS = 8192 * 8192;

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A loaded model as `GET /info` names it. */
export interface ModelSummary {
  task: 'classifier' | 'segmenter';
  /** The bundle folder's name (`bundleName`), never its path on the server; '' for a model given without one. */
  name: string;
  /** What its bundle says it was trained on (`trainedOnNote`). */
  trainedOn: string;
}

export interface ServerModels {
  classifier?: ImageClassifier;
  segmenter?: ImageSegmenter;
  /** One line for the page (`modelsDescription`); no server path. */
  description: string;
  /** Each model for `GET /info`; when not given, each of `classifier` and `segmenter`, named '' with its `trainedOnNote`. */
  models?: ModelSummary[];
}

/** How `POST /predict` reads an upload (its query string: `?voi=minmax&frame=3`). */
export interface AnalyseOptions {
  /** `auto` (default): a DICOM's own window, a PNG's full range; `minmax` stretches the stored range (a 12-bit X-ray in a 16-bit PNG). */
  voi?: 'auto' | 'minmax';
  /** The DICOM frame or TIFF page to analyse, numbered from 0 (default 0); asked of a one-image file, or past the last, it is E_INPUT_INVALID. */
  frame?: number;
}

/** What `POST /predict` answers. */
export interface PredictAnswer {
  format: string;
  width: number;
  height: number;
  bitDepth: number;
  imagePng: string;
  classification?: { label: string; score: number; probabilities: Record<string, number> };
  heatmapPng?: string;
  segmentation?: { area: number; overlayPng: string };
  /** How the stored values were mapped to gray: as asked (`voi`), `auto` by default. */
  voi: 'auto' | 'minmax';
  /** The images in the file (a DICOM file's frames, a TIFF stack's pages, else 1) and the one analysed, numbered from 0. */
  frames: number;
  frame: number;
  /** `frame` is the frame analysed (numbered from 0) of `frames`. */
  dicom?: { tags: { tag: string; name: string; value: string }[]; frames: number; frame: number; modality: string | null };
  /** Why the image is unlike anything the classifier was trained on (the prediction means little); absent when nothing applies. */
  warnings?: string[];
}

/**
 * The readers' messages may quote what they found in the bytes (a size, a parser's words): the
 * answer keeps the typed code and says it in fixed words. The original error stays as the cause.
 */
const READ_MESSAGES: Partial<Record<ErrorCode, string>> = {
  E_INPUT_TOO_LARGE: `The image is over this service's limits (${MAX_UPLOAD_PIXELS} pixels, 8,192 × 8,192, and the memory its decoding needs).`,
  E_FORMAT_UNSUPPORTED:
    'The upload is not an image this service reads (DICOM, PNG, JPEG or TIFF), or holds an image in an encoding it does not decode.',
  E_INPUT_INVALID: 'The image is corrupt, truncated or empty.',
  E_SHAPE_MISMATCH: 'The image has a layout this service does not read.',
};

/** The raster formats the reader names; another name is not quoted in an answer. */
const RASTER_FORMATS = new Set(['png', 'jpeg', 'tiff', 'webp']);

/**
 * A reader's refusal of a frame past the last of a DICOM file or a multi-page TIFF, from its details (the
 * file is not read again to count them): the count, the format (details.format, which the DICOM reader
 * does not give) and the words the service and the CLI both say after the frame's name, "3 is out of
 * range: this DICOM file has 2 frames, numbered 0 to 1" ("this TIFF file has 2 pages"); undefined for
 * any other error.
 */
export function framePastLast(error: AppliedMLError, frame: number): { frames: number; format: string; said: string } | undefined {
  const { field, frames, format: named } = error.details;
  if (field !== 'frame' || typeof frames !== 'number' || !Number.isInteger(frames) || frames <= 0) return undefined;
  const format = typeof named === 'string' && RASTER_FORMATS.has(named) ? named : 'dicom';
  // A raster's images are its pages (a TIFF stack); a DICOM file's are frames.
  const unit = format === 'dicom' ? 'frame' : 'page';
  const numbered = frames === 1 ? 'numbered 0' : `numbered 0 to ${frames - 1}`;
  return {
    frames,
    format,
    said: `${frame} is out of range: this ${format.toUpperCase()} file has ${frames} ${unit}${frames === 1 ? '' : 's'}, ${numbered}`,
  };
}

async function readUpload(bytes: Uint8Array, color: boolean, options: AnalyseOptions): Promise<MedicalImage> {
  try {
    return await readMedicalImage(bytes, {
      maxPixels: MAX_UPLOAD_PIXELS,
      color,
      voi: options.voi ?? 'auto',
      ...(options.frame !== undefined ? { frame: options.frame } : {}),
    });
  } catch (error) {
    if (!AppliedMLError.isInstance(error)) throw error;
    // A frame past the last of a DICOM file or TIFF stack: the reader's details say how many the file has (its words
    // would be "corrupt" here), so the file is not read a second time to count them.
    const { field } = error.details;
    const past = options.frame !== undefined ? framePastLast(error, options.frame) : undefined;
    if (past !== undefined)
      throw new AppliedMLError('E_INPUT_INVALID', `frame ${past.said}.`, {
        cause: error,
        details: { field: 'frame', frame: options.frame, frames: past.frames, format: past.format },
      });
    // A frame asked of a PNG / JPEG / one-page TIFF (one image): the reader names the field and the format.
    if (options.frame !== undefined && field === 'frame') {
      const format = typeof error.details.format === 'string' && RASTER_FORMATS.has(error.details.format) ? error.details.format : 'raster';
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `frame applies to DICOM files and multi-page TIFFs; this upload is a ${format.toUpperCase()} image with one frame (leave frame out).`,
        { cause: error, details: { field: 'frame', format } },
      );
    }
    const message = READ_MESSAGES[error.code] ?? 'The image could not be read.';
    throw new AppliedMLError(error.code, message, { cause: error });
  }
}

/**
 * A colour image as PNG, `width` pixels wide (its aspect kept), with `mask` (values > 0.5, the image's size)
 * filled in green at 45 %, as the SDK's `maskOverlayPng` draws on gray.
 */
export async function colorPng(color: ColorImage, width: number, mask?: { data: Float32Array }): Promise<Uint8Array> {
  const pixels = color.width * color.height;
  const rgb = new Uint8Array(pixels * 3);
  const green = [0, 220, 90];
  for (let p = 0; p < pixels; p++) {
    const inMask = mask !== undefined && mask.data[p]! > 0.5;
    for (let c = 0; c < 3; c++) {
      const v = 255 * Math.min(1, Math.max(0, color.data[3 * p + c]!));
      rgb[3 * p + c] = Math.round(inMask ? 0.55 * v + 0.45 * green[c]! : v);
    }
  }
  const png = await sharp(rgb, { raw: { width: color.width, height: color.height, channels: 3 } })
    .resize({ width })
    .png()
    .toBuffer();
  return new Uint8Array(png);
}

/**
 * Whether `analyse` decodes an upload in colour as well as gray: a DICOM file (a grayscale one costs
 * nothing more), a raster whose preview (`colourPreview`) is in colour, and any RGB raster for a segmenter
 * trained on RGB images; a gray raster, saved as RGB or not, is decoded in gray alone.
 */
export function readInColour(dicom: boolean, preview: ColorImage | undefined, rgbSegmenter: boolean): boolean {
  return dicom || isColourful(preview) || (rgbSegmenter && preview !== undefined);
}

/** Read the upload, classify it with Grad-CAM, segment it, and draw the pictures. */
export async function analyse(models: ServerModels, bytes: Uint8Array, options: AnalyseOptions = {}): Promise<PredictAnswer> {
  // Whether the upload is in colour is measured on a small preview (sharp, for a raster), so a gray one (a
  // chest X-ray saved as RGB) is decoded in gray alone, as its memory limit counts it. The full image is
  // decoded in colour too when it is in colour (it is drawn so, and not classified) or a segmenter trained
  // on RGB (Kvasir-SEG) reads it; a DICOM file always (a grayscale one costs nothing more), its colour
  // frame measured the same way.
  const rgbSegmenter = models.segmenter?.config.channels === 3;
  const dicom = isDicom(bytes);
  const preview = dicom ? undefined : await colourPreview(bytes, options.frame ?? 0, MAX_UPLOAD_PIXELS);
  const read = await readUpload(bytes, readInColour(dicom, preview, rgbSegmenter), options);
  const voi = options.voi ?? 'auto';
  const image = read.image;
  const measured = dicom ? read.color && (await previewOfColour(read.color)) : preview;
  const colour = isColourful(measured) ? read.color : undefined;
  const width = Math.min(512, Math.max(256, image.width));
  const out: PredictAnswer = {
    format: read.format,
    width: image.width,
    height: image.height,
    bitDepth: read.bitDepth,
    imagePng: b64(colour ? await colorPng(colour, width) : await grayToPng(image, { width })),
    voi,
    frames: read.frames,
    frame: options.frame ?? 0,
  };
  if (models.classifier && colour) out.warnings = [COLOUR_NOT_CLASSIFIED];
  else if (models.classifier) {
    // As the CLI's predict: the answer is still given, with the reasons it means little.
    const unlike = outOfDistribution(image);
    // A 12-bit X-ray stored in 16 or 32 bits reads nearly black, a signed one flat grey, unless stretched: say how (as the CLI's --voi).
    unlike.push(...stretchAdvice(read, image, voi, unlike, 'voi=minmax'));
    if (unlike.length > 0)
      out.warnings = [`This image is outside what the model was trained on (${unlike.join('; ')}): the prediction is not meaningful.`];
    const p = await models.classifier.predict(image, { explain: true });
    out.classification = { label: p.label, score: p.score, probabilities: p.probabilities };
    if (p.heatmap) out.heatmapPng = b64(await heatmapOverlayPng(image, p.heatmap, { width }));
  }
  if (models.segmenter) {
    const s = await models.segmenter.predict(rgbSegmenter ? (read.color ?? image) : image);
    out.segmentation = {
      area: s.area,
      overlayPng: b64(colour ? await colorPng(colour, width, s.mask) : await maskOverlayPng(image, s.mask, { width })),
    };
  }
  if (read.dicom)
    out.dicom = {
      // The SDK reads an allow-list of technical tags only (no patient, study or institution tags).
      tags: read.dicom.tags.map((t) => ({ tag: t.tag, name: t.name, value: t.value })),
      frames: read.dicom.frames,
      frame: options.frame ?? 0,
      modality: read.dicom.metadata.modality ?? null,
    };
  return out;
}
