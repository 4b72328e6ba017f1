import type { ReactNode } from "react";
import { signOut } from "../auth/session";
import { DEVICES_PATH, Link, navigate, PEOPLE_PATH, type PageName } from "../router";
import type { Me } from "../types";

interface AppHeaderProps {
  /** the signed-in person; null before signing in, and on share links and invitations */
  me: Me | null;
  /** the current route's page (for aria-current) */
  page: PageName | null;
}

/**
 * The header of every page: the app's name, and for a signed-in person (``me``) the pages they
 * may open, their email and Sign out. ``page`` is the current route's page (for aria-current).
 */
export function AppHeader({ me, page }: AppHeaderProps) {
  const pages: [to: string, label: string, current: boolean][] = [
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

interface FrameProps extends Partial<AppHeaderProps> {
  children: ReactNode;
}

/** The skip link, the header and the page's <main>. */
export function Frame({ me = null, page = null, children }: FrameProps) {
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
