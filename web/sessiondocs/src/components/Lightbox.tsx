import { useEffect, useRef, type MouseEvent } from "react";

interface LightboxProps {
  src: string;
  alt: string;
  caption: string;
  onClose: () => void;
}

/** A screenshot at full size in a modal dialog; Escape, Close or a click outside closes it. */
export function Lightbox({ src, alt, caption, onClose }: LightboxProps) {
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    // why: no close() on cleanup (see ConfirmDialog): unmounting removes the dialog anyway.
    if (dialog.current && !dialog.current.open) dialog.current.showModal();
  }, []);

  function closeOnBackdrop(event: MouseEvent<HTMLDialogElement>) {
    if (event.target === event.currentTarget) event.currentTarget.close();
  }

  return (
    <dialog
      ref={dialog}
      className="lightbox"
      aria-label={caption}
      onClose={onClose}
      onClick={closeOnBackdrop}
    >
      <figure>
        <img src={src} alt={alt} />
        <figcaption>{caption}</figcaption>
      </figure>
      <button
        type="button"
        className="lightbox-close"
        autoFocus
        onClick={() => dialog.current?.close()}
      >
        Close
      </button>
    </dialog>
  );
}
