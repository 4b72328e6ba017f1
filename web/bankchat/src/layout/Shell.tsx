import { lazy, Suspense, useCallback, useEffect, useRef, useState } from "react";

import { ChatView } from "../chat/ChatView";
import { useRoute, type Route } from "../lib/router";
import { Conversations } from "../sidebar/Conversations";
import { Favorites } from "../sidebar/Favorites";
import { SidebarSearch } from "../sidebar/Search";
import type { Me } from "../types";
import { ErrorBoundary } from "./ErrorBoundary";
import { Header } from "./Header";

// The pages besides chat load when first opened.
const AnalyticsPage = lazy(() => import("../pages/AnalyticsPage"));
const AuditPage = lazy(() => import("../pages/AuditPage"));
const HistoryPage = lazy(() => import("../pages/HistoryPage"));
const PeoplePage = lazy(() => import("../pages/PeoplePage"));
const ReviewsPage = lazy(() => import("../pages/ReviewsPage"));
const TeamsPage = lazy(() => import("../pages/TeamsPage"));

/** The signed-in layout: header, sidebar (a drawer on phones) and the page of the route. */
export function Shell({ me }: { me: Me }) {
  const route = useRoute();
  const [menuOpen, setMenuOpen] = useState(false);
  const sidebar = useRef<HTMLElement>(null);
  const closeMenu = useCallback(() => setMenuOpen(false), []);
  useEffect(() => {
    if (!menuOpen) return;
    // the drawer (phones): focus moves into it, and Escape gives it back to the menu button
    sidebar.current?.querySelector<HTMLElement>("a, button")?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      closeMenu();
      document.querySelector<HTMLElement>(".menu-button")?.focus();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [menuOpen, closeMenu]);
  const conversationId = route.page === "chat" ? route.conversationId : null;

  return (
    <div className="shell">
      <Header me={me} route={route} menuOpen={menuOpen} onMenu={() => setMenuOpen(!menuOpen)} />
      <div className="body">
        <aside
          ref={sidebar}
          id="sidebar"
          className={menuOpen ? "sidebar open" : "sidebar"}
          aria-label="Search, conversations and favorites"
        >
          <SidebarSearch conversationId={conversationId} onNavigate={closeMenu}>
            <Conversations currentId={conversationId} onNavigate={closeMenu} />
            <Favorites conversationId={conversationId} onNavigate={closeMenu} />
          </SidebarSearch>
        </aside>
        {menuOpen && <div className="scrim" onClick={closeMenu} aria-hidden="true" />}
        <main className="main" id="main">
          <ErrorBoundary key={JSON.stringify(route)}>
            <Suspense fallback={<p className="loading">Loading…</p>}>
              <Page route={route} me={me} />
            </Suspense>
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}

function Page({ route, me }: { route: Route; me: Me }) {
  switch (route.page) {
    case "chat":
      return <ChatView key={route.conversationId ?? "new"} conversationId={route.conversationId} />;
    case "history":
      return <HistoryPage />;
    case "teams":
      return <TeamsPage />;
    case "audit":
      return <AuditPage me={me} />;
    case "analytics":
      return <AnalyticsPage me={me} />;
    case "people":
      return <PeoplePage me={me} />;
    case "reviews":
      return <ReviewsPage me={me} />;
    default:
      return (
        <section className="page">
          <h1>Not found</h1>
          <p>There is no page at this address.</p>
        </section>
      );
  }
}
