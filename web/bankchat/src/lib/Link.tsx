import type { ReactNode } from "react";

import { useLinkClick } from "./router";

interface LinkProps {
  to: string;
  children: ReactNode;
  className?: string;
  current?: boolean;
  onNavigate?: () => void;
}

/** An in-app link: a real <a href> (keyboard, middle click), routed without a reload. */
export function Link({ to, children, className, current, onNavigate }: LinkProps) {
  const onClick = useLinkClick(to, onNavigate);
  return (
    <a
      href={to}
      className={className}
      aria-current={current ? "page" : undefined}
      onClick={onClick}
    >
      {children}
    </a>
  );
}
