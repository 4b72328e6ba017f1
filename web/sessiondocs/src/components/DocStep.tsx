import type { Shot, Step } from "../types";
import { onThisOrigin } from "../urls";
import { HighlightedImage } from "./HighlightedImage";

interface DocStepProps {
  step: Step;
  /** the step's screenshot; undefined when it is no longer in the session */
  shot: Shot | undefined;
}

/**
 * One numbered step: what to do, and its screenshot with the changed region outlined (or, for a
 * click, the spot it landed on marked).
 */
export function DocStep({ step, shot }: DocStepProps) {
  const src = shot?.url ? onThisOrigin(shot.url) : null;
  const outlined = step.marker
    ? ", with the spot clicked marked"
    : step.highlight
      ? ", with the changed region outlined"
      : "";
  return (
    <li className="step" id={`step-${step.number}`} tabIndex={-1}>
      <h4 className="step-title">
        <span className="step-number" aria-hidden="true">
          {step.number}
        </span>
        <span className="visually-hidden">Step {step.number}: </span>
        {step.title}
      </h4>
      {step.description && <p className="step-description">{step.description}</p>}
      {src ? (
        <HighlightedImage
          src={src}
          alt={`Screenshot for step ${step.number} (${step.filename})${outlined}`}
          highlight={step.highlight}
          marker={step.marker}
          size={shot?.width && shot?.height ? { width: shot.width, height: shot.height } : null}
        />
      ) : (
        <p className="hint">The screenshot {step.filename} is no longer available.</p>
      )}
    </li>
  );
}
