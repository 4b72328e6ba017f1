// The colour theme: the signed-in user's preference (users:updatePreferences), remembered in
// localStorage so the sign-in page and the first paint use it too.
import { createContext, useContext, useLayoutEffect, type ReactNode } from "react";

import type { Theme } from "../types";

const KEY = "bankchat.theme";

export function initialTheme(): Theme {
  const saved = window.localStorage.getItem(KEY);
  if (saved === "light" || saved === "dark") return saved;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/** Put `theme` on the page (the CSS keys its colours on <html data-theme>). */
export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  window.localStorage.setItem(KEY, theme);
}

const ThemeContext = createContext<Theme>("light");

export function ThemeProvider({ theme, children }: { theme: Theme; children: ReactNode }) {
  // why: a layout effect runs before the charts' effects, which read the theme's colours
  useLayoutEffect(() => applyTheme(theme), [theme]);
  return <ThemeContext.Provider value={theme}>{children}</ThemeContext.Provider>;
}

/** The theme in force (charts read it to pick their colours). */
export function useTheme(): Theme {
  return useContext(ThemeContext);
}
