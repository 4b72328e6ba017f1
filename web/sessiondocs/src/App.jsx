import { Authenticated, AuthLoading, Unauthenticated, useQuery } from "convex/react";
import { api, errorMessage } from "./api.js";
import { signOut } from "./auth/session.js";
import { Frame } from "./components/AppHeader.jsx";
import { DevicesPage } from "./components/DevicesPage.jsx";
import { ErrorBoundary } from "./components/ErrorBoundary.jsx";
import { InvitePage } from "./components/InvitePage.jsx";
import { NotFoundPage } from "./components/NotFoundPage.jsx";
import { PageHeading } from "./components/PageHeading.jsx";
import { PeoplePage } from "./components/PeoplePage.jsx";
import { SessionPage } from "./components/SessionPage.jsx";
import { SessionsPage } from "./components/SessionsPage.jsx";
import { SharedPage } from "./components/SharedPage.jsx";
import { SignInPage } from "./components/SignInPage.jsx";
import { routeOf, usePath } from "./router.js";

/**
 * The page for the current path. Share links and invitations open without signing in; every
 * other page needs it, and shows the sign-in form until then (then the page that was asked for).
 */
export function App() {
  const route = routeOf(usePath());
  if (route.page === "shared") {
    return (
      <Frame>
        <SharedPage token={route.param} />
      </Frame>
    );
  }
  if (route.page === "invite") {
    return (
      <Frame>
        <InvitePage token={route.param} />
      </Frame>
    );
  }
  return (
    <>
      <AuthLoading>
        <Frame>
          <p className="hint" role="status">
            Signing in…
          </p>
        </Frame>
      </AuthLoading>
      <Unauthenticated>
        <Frame>
          <SignInPage />
        </Frame>
      </Unauthenticated>
      <Authenticated>
        <SignedIn route={route} />
      </Authenticated>
    </>
  );
}

/** The app for a signed-in person: who they are, then the page. */
function SignedIn({ route }) {
  const me = useQuery(api.users.me);
  if (me === undefined) {
    return (
      <Frame>
        <p className="hint" role="status">
          Loading…
        </p>
      </Frame>
    );
  }
  if (me === null) return <AccountClosed />;
  return (
    <Frame me={me} page={route.page}>
      <ErrorBoundary key={`${route.page}/${route.param}`} fallback={PageFailed}>
        <Page route={route} me={me} />
      </ErrorBoundary>
    </Frame>
  );
}

/** A page whose query failed unexpectedly (the server refused it, or is broken). */
function PageFailed(error) {
  return (
    <div role="alert">
      <PageHeading>This page could not be loaded</PageHeading>
      <p>The server answered: {errorMessage(error)}</p>
      <button type="button" onClick={() => window.location.reload()}>
        Reload
      </button>
    </div>
  );
}

function Page({ route, me }) {
  switch (route.page) {
    case "sessions":
      return <SessionsPage />;
    case "session":
      return <SessionPage sessionId={route.param} />;
    case "devices":
      return <DevicesPage />;
    case "people":
      return <PeoplePage me={me} />;
    default:
      return <NotFoundPage />;
  }
}

/** Signed in, but the account was disabled (or removed) by an administrator. */
function AccountClosed() {
  return (
    <Frame>
      <PageHeading>Your account is disabled</PageHeading>
      <p>An administrator has disabled this account. Ask them to enable it again.</p>
      <button type="button" onClick={() => signOut()}>
        Sign out
      </button>
    </Frame>
  );
}
