import { useState } from "react";

/**
 * An image with ``highlight`` ([left, top, width, height] in the image's own pixels) drawn as an
 * outline over it, and ``marker`` ([x, y]: where a click landed) as a ring. Both are placed in
 * percentages of the image's natural size, so they stay on the same spot at whatever size the
 * image is displayed.
 */
export function HighlightedImage({ src, alt, highlight, marker, size }) {
  const [measured, setMeasured] = useState(null);
  const natural = measured ?? size;

  function measure(event) {
    const { naturalWidth: width, naturalHeight: height } = event.currentTarget;
    if (width && height) setMeasured({ width, height });
  }

  const box =
    highlight && natural
      ? {
          left: `${(highlight[0] / natural.width) * 100}%`,
          top: `${(highlight[1] / natural.height) * 100}%`,
          width: `${(highlight[2] / natural.width) * 100}%`,
          height: `${(highlight[3] / natural.height) * 100}%`,
        }
      : null;
  const ring =
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
