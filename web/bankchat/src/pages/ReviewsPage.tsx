import { useAction, useMutation, useQuery } from "convex/react";
import { useId, useState } from "react";

import { api } from "../convex/_generated/api";
import { errorMessage } from "../lib/errors";
import { formatTime } from "../lib/format";
import type { Me, Review, ReviewStatus } from "../types";

/** Answers reported as wrong (administrators): correct the SQL, which then answers the same
 * question for the whole team, or dismiss the report. Live. */
export default function ReviewsPage({ me }: { me: Me }) {
  const [status, setStatus] = useState<ReviewStatus>("open");
  if (!me.features.includes("admin")) {
    return (
      <section className="page">
        <h1>Reviews</h1>
        <p className="alert alert-warning">Only administrators review reported answers.</p>
      </section>
    );
  }
  return (
    <section className="page" aria-labelledby="reviews-title">
      <h1 id="reviews-title">Reported answers</h1>
      <div className="field narrow">
        <label htmlFor="review-status">Show</label>
        <select
          id="review-status"
          value={status}
          onChange={(e) => setStatus(e.target.value as ReviewStatus)}
        >
          <option value="open">Open</option>
          <option value="corrected">Corrected</option>
          <option value="dismissed">Dismissed</option>
        </select>
      </div>
      <ReviewList status={status} />
    </section>
  );
}

function ReviewList({ status }: { status: ReviewStatus }) {
  const reviews = useQuery(api.reviews.listReviews, { status });
  if (reviews === undefined) return <p className="muted">Loading…</p>;
  if (reviews.length === 0) return <p className="muted">No {status} reports.</p>;
  return (
    <ul className="review-list">
      {reviews.map((review) => (
        <li key={review._id} className="card" aria-label={`Report: ${review.question ?? ""}`}>
          <ReviewItem review={review} />
        </li>
      ))}
    </ul>
  );
}

function ReviewItem({ review }: { review: Review }) {
  const correct = useAction(api.reviews.correctReview);
  const dismiss = useMutation(api.reviews.dismissReview);
  const [sql, setSql] = useState(review.correctedSql ?? review.sql ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  async function save() {
    setBusy(true);
    setError(null);
    try {
      const outcome = await correct({ reviewId: review._id, sql });
      if (!outcome.ok) setError(outcome.error);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <p>
        <strong>{review.question ?? "(no question)"}</strong>
      </p>
      <p className="muted">
        {review.userEmail}, {formatTime(review.createdAt)}
        {review.resolvedBy && ` · ${review.status} by ${review.resolvedBy}`}
      </p>
      {review.note && <p className="reason">“{review.note}”</p>}
      <p>The answer said: {review.answer}</p>
      {review.interpretation && review.interpretation.length > 0 && (
        <ul className="interpretation-lines">
          {review.interpretation.map((line, i) => (
            <li key={i}>{line.text}</li>
          ))}
        </ul>
      )}
      {review.status === "open" ? (
        <>
          <label htmlFor={`${id}-sql`}>Corrected SQL</label>
          <textarea
            id={`${id}-sql`}
            className="sql-edit"
            rows={4}
            value={sql}
            onChange={(e) => setSql(e.target.value)}
          />
          {error && (
            <p className="alert alert-error" role="alert">
              {error}
            </p>
          )}
          <div className="row">
            <button type="button" className="primary small" disabled={busy} onClick={save}>
              Save correction
            </button>
            <button
              type="button"
              className="small"
              disabled={busy}
              onClick={() =>
                dismiss({ reviewId: review._id }).catch((e) => setError(errorMessage(e)))
              }
            >
              Dismiss
            </button>
          </div>
        </>
      ) : (
        review.correctedSql && <code className="sql-inline">{review.correctedSql}</code>
      )}
    </>
  );
}
