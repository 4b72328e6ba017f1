import { useState, type CSSProperties, type SyntheticEvent } from "react";

/** An image's size in pixels. */
interface Size {
  width: number;
  height: number;
}

interface HighlightedImageProps {
  src: string;
  alt: string;
  /** [left, top, width, height] in the image's pixels, or null */
  highlight: number[] | null;
  /** [x, y] in the image's pixels */
  marker?: number[];
  /** the image's natural size when known before it loads */
  size: Size | null;
}

/**
 * An image with ``highlight`` ([left, top, width, height] in the image's own pixels) drawn as an
 * outline over it, and ``marker`` ([x, y]: where a click landed) as a ring. Both are placed in
 * percentages of the image's natural size, so they stay on the same spot at whatever size the
 * image is displayed.
 */
export function HighlightedImage({ src, alt, highlight, marker, size }: HighlightedImageProps) {
  const [measured, setMeasured] = useState<Size | null>(null);
  const natural = measured ?? size;

  function measure(event: SyntheticEvent<HTMLImageElement>) {
    const { naturalWidth: width, naturalHeight: height } = event.currentTarget;
    if (width && height) setMeasured({ width, height });
  }

  const box: CSSProperties | null =
    highlight && natural
      ? {
          left: `${(highlight[0] / natural.width) * 100}%`,
          top: `${(highlight[1] / natural.height) * 100}%`,
          width: `${(highlight[2] / natural.width) * 100}%`,
          height: `${(highlight[3] / natural.height) * 100}%`,
        }
      : null;
  const ring: CSSProperties | null =
    marker && natural
      ? {
          left: `${(marker[0] / natural.width) * 100}%`,
          top: `${(marker[1] / natural.height) * 100}%`,
        }
      : null;

  return (
    <div className="highlighted">
      <img src={src} alt={alt} loading="lazy" onLoad={measure} />
      {box && <div className="highlight-box" style={box} aria-hidden="true" />}
      {ring && <div className="click-marker" style={ring} aria-hidden="true" />}
    </div>
  );
}
