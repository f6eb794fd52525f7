/** A single-channel image, row-major, values in [0, 1]: what the models read. */
export interface GrayImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** An RGB image, row-major with interleaved channels, values in [0, 1] (e.g. endoscopy frames). */
export interface ColorImage {
  width: number;
  height: number;
  channels: 3;
  data: Float32Array;
}

/** What the segmenter reads: grayscale or RGB. */
export type AnyImage = GrayImage | ColorImage;

export function channelsOf(image: AnyImage): 1 | 3 {
  return (image as ColorImage).channels === 3 ? 3 : 1;
}
