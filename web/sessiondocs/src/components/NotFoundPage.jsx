import { Link } from "../router.js";
import { PageHeading } from "./PageHeading.jsx";

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
