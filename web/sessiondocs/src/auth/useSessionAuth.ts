import { useCallback, useMemo } from "react";
import { accessToken, useSession } from "./session";

/** What ConvexProviderWithAuth's ``useAuth`` returns. */
export interface AuthState {
  isLoading: boolean;
  isAuthenticated: boolean;
  fetchAccessToken: (args: { forceRefreshToken: boolean }) => Promise<string | null>;
}

/** The auth state ConvexProviderWithAuth asks for: signed in or not, and how to get a token. */
export function useSessionAuth(): AuthState {
  const session = useSession();
  const signIn = session?.id ?? null;
  // why: a new function makes the provider authenticate again, so it changes with each sign-in
  // (even of the same person, after the server refused the last one), never on a refresh
  const fetchAccessToken = useCallback(
    ({ forceRefreshToken }: { forceRefreshToken: boolean }) => accessToken(forceRefreshToken),
    [signIn],
  );
  return useMemo(
    () => ({ isLoading: false, isAuthenticated: signIn !== null, fetchAccessToken }),
    [signIn, fetchAccessToken],
  );
}
