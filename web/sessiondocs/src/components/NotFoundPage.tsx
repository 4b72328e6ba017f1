import { Link } from "../router";
import { PageHeading } from "./PageHeading";

/** A path the app has no page for. */
export function NotFoundPage() {
  return (
    <>
      <PageHeading>Page not found</PageHeading>
      <p>
        There is no page at this address. <Link to="/">All sessions</Link>
      </p>
    </>
  );
}
