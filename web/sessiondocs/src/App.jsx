import { SessionPage } from "./components/SessionPage.jsx";
import { SessionsPage } from "./components/SessionsPage.jsx";
import { Link, sessionIdFromPath, usePath } from "./router.js";

/** The page for the current path: the sessions list, or one session. */
export function App() {
  const path = usePath();
  const sessionId = sessionIdFromPath(path);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link to="/" className="brand">
          sessiondocs
        </Link>
        <span className="tagline">screenshots to step-by-step documentation</span>
      </header>
      <main id="main">
        {sessionId === null ? <SessionsPage /> : <SessionPage sessionId={sessionId} />}
      </main>
    </>
  );
}
