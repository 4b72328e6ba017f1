import { useMutation, useQuery } from "convex/react";
import { useEffect, useRef, useState } from "react";

import { api } from "../convex/_generated/api";
import { formatTime } from "../lib/format";
import { Link } from "../lib/Link";
import type { Notification } from "../types";
import { BellIcon } from "./icons";

/** The bell: a live unread count, and a panel to read and dismiss notifications. */
export function NotificationBell() {
  const unread = useQuery(api.notifications.getUnread) ?? [];
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && setOpen(false);
    const onClick = (event: MouseEvent) => {
      if (box.current && !box.current.contains(event.target as Node)) setOpen(false);
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("mousedown", onClick);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("mousedown", onClick);
    };
  }, [open]);

  const count = unread.length;
  return (
    <div className="bell" ref={box}>
      <button
        type="button"
        className="bell-button"
        aria-label={`Notifications, ${count} unread`}
        aria-expanded={open}
        aria-controls="notifications"
        onClick={() => setOpen(!open)}
      >
        <BellIcon />
        {count > 0 && (
          <span className="badge" data-testid="unread-count" aria-hidden="true">
            {count}
          </span>
        )}
      </button>
      {open && <NotificationPanel onClose={() => setOpen(false)} />}
    </div>
  );
}

/** A notification's link as a path of this app (never another site). */
function appPath(link: string): string {
  return `/${link.replace(/^[/\\]+/, "")}`;
}

function NotificationPanel({ onClose }: { onClose: () => void }) {
  const notes = useQuery(api.notifications.listNotifications, { limit: 20 });
  const markRead = useMutation(api.notifications.markRead);
  const markAllRead = useMutation(api.notifications.markAllRead);
  return (
    <section id="notifications" className="popover" aria-label="Notifications">
      <div className="popover-head">
        <h2>Notifications</h2>
        <button type="button" className="small" onClick={() => void markAllRead()}>
          Mark all read
        </button>
      </div>
      {notes === undefined ? (
        <p className="muted">Loading…</p>
      ) : notes.length === 0 ? (
        <p className="muted">Nothing yet.</p>
      ) : (
        <ul className="notes">
          {notes.map((note) => (
            <li key={note._id} className={note.read ? "note" : "note unread"}>
              <NoteTitle note={note} onOpen={onClose} />
              {note.body && <span className="note-body">{note.body}</span>}
              <span className="muted small-text">{formatTime(note.createdAt)}</span>
              {!note.read && (
                <button
                  type="button"
                  className="small"
                  onClick={() => void markRead({ notificationId: note._id })}
                >
                  Mark read
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The title, as a link to the page to act on when the notification has one (a team
 * invitation: Teams); following it marks it read and closes the panel. */
function NoteTitle({ note, onOpen }: { note: Notification; onOpen: () => void }) {
  const markRead = useMutation(api.notifications.markRead);
  if (!note.link) return <strong>{note.title}</strong>;
  return (
    <Link
      to={appPath(note.link)}
      className="note-link"
      onNavigate={() => {
        if (!note.read) void markRead({ notificationId: note._id });
        onOpen();
      }}
    >
      <strong>{note.title}</strong>
    </Link>
  );
}
