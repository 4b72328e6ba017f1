import { AuthLoading, Authenticated, Unauthenticated, useMutation, useQuery } from "convex/react";
import { useEffect } from "react";

import { api } from "./api";
import { SignIn } from "./auth/SignIn";
import { Shell } from "./layout/Shell";
import { ResultsProvider } from "./lib/results";
import { initialTheme, ThemeProvider } from "./lib/theme";

export function App() {
  return (
    <>
      <AuthLoading>
        <p className="loading" role="status">
          Loading…
        </p>
      </AuthLoading>
      <Unauthenticated>
        <SignIn />
      </Unauthenticated>
      <Authenticated>
        <SignedIn />
      </Authenticated>
    </>
  );
}

/** The app for a signed-in person: their user record, theme and pages. */
function SignedIn() {
  const ensureUser = useMutation(api.users.ensureUser);
  const me = useQuery(api.users.me);
  useEffect(() => {
    void ensureUser();
  }, [ensureUser]);
  if (me === undefined || me === null) {
    return (
      <p className="loading" role="status">
        Loading your profile…
      </p>
    );
  }
  return (
    <ThemeProvider theme={me.preferences.theme ?? initialTheme()}>
      <ResultsProvider>
        <Shell me={me} />
      </ResultsProvider>
    </ThemeProvider>
  );
}
