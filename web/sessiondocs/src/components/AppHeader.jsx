import { signOut } from "../auth/session.js";
import { DEVICES_PATH, Link, navigate, PEOPLE_PATH } from "../router.js";

/**
 * The header of every page: the app's name, and for a signed-in person (``me``) the pages they
 * may open, their email and Sign out. ``page`` is the current route's page (for aria-current).
 */
export function AppHeader({ me, page }) {
  const pages = [
    ["/", "Sessions", page === "sessions" || page === "session"],
    [DEVICES_PATH, "Devices", page === "devices"],
  ];
  if (me?.isAdmin) pages.push([PEOPLE_PATH, "People", page === "people"]);

  async function leave() {
    await signOut();
    navigate("/");
  }

  return (
    <header className="app-header">
      <Link to="/" className="brand">
        sessiondocs
      </Link>
      {me ? (
        <>
          <nav className="app-nav" aria-label="Pages">
            {pages.map(([to, label, current]) => (
              <Link key={to} to={to} aria-current={current ? "page" : undefined}>
                {label}
              </Link>
            ))}
          </nav>
          <div className="account">
            <span className="account-email" title={me.name}>
              <span className="visually-hidden">Signed in as </span>
              {me.email}
            </span>
            <button type="button" onClick={leave}>
              Sign out
            </button>
          </div>
        </>
      ) : (
        <span className="tagline">screenshots to step-by-step documentation</span>
      )}
    </header>
  );
}

/** The skip link, the header and the page's <main>. */
export function Frame({ me = null, page = null, children }) {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppHeader me={me} page={page} />
      <main id="main">{children}</main>
    </>
  );
}
