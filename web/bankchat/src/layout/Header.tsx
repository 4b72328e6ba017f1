import { useMutation } from "convex/react";

import { signOut } from "../auth/session";
import { api } from "../convex/_generated/api";
import { Link } from "../lib/Link";
import type { Route } from "../lib/router";
import type { Me, Theme } from "../types";
import { MenuIcon, MoonIcon, SunIcon } from "./icons";
import { NotificationBell } from "./NotificationBell";

interface HeaderProps {
  me: Me;
  route: Route;
  menuOpen: boolean;
  onMenu: () => void;
}

export function Header({ me, route, menuOpen, onMenu }: HeaderProps) {
  const pages: [string, Route["page"], string][] = [
    ["/", "chat", "Chat"],
    ["/history", "history", "History"],
    ["/teams", "teams", "Teams"],
  ];
  if (me.features.includes("audit")) pages.push(["/audit", "audit", "Audit log"]);
  if (me.features.includes("analytics")) pages.push(["/analytics", "analytics", "Analytics"]);
  if (me.features.includes("admin")) pages.push(["/people", "people", "People"]);
  if (me.features.includes("admin")) pages.push(["/reviews", "reviews", "Reviews"]);

  return (
    <header className="header">
      <button
        type="button"
        className="menu-button"
        aria-controls="sidebar"
        aria-expanded={menuOpen}
        onClick={onMenu}
      >
        <MenuIcon />
        <span className="visually-hidden">Conversations and favorites</span>
      </button>
      <Link to="/" className="brand">
        bankchat
      </Link>
      <nav className="nav" aria-label="Pages">
        {pages.map(([path, page, label]) => (
          <Link key={path} to={path} current={route.page === page}>
            {label}
          </Link>
        ))}
      </nav>
      <div className="header-tools">
        <NotificationBell />
        <ThemeToggle theme={me.preferences.theme} />
        <span className="who" title={me.email}>
          {me.name} <span className="role">{me.roles.join(", ")}</span>
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </div>
    </header>
  );
}

/** Switches the user's theme preference (saved on the server, so every tab follows). */
function ThemeToggle({ theme }: { theme: Theme }) {
  const update = useMutation(api.users.updatePreferences).withOptimisticUpdate(
    (store, { theme: next }) => {
      const me = store.getQuery(api.users.me, {});
      if (me && next)
        store.setQuery(
          api.users.me,
          {},
          { ...me, preferences: { ...me.preferences, theme: next } },
        );
    },
  );
  const next: Theme = theme === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      className="theme-toggle"
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
      onClick={() => void update({ theme: next })}
    >
      {theme === "dark" ? <SunIcon /> : <MoonIcon />}
    </button>
  );
}
