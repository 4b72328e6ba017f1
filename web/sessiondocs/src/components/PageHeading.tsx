import { useEffect, useRef, type HTMLAttributes, type ReactNode } from "react";
import { takeNavigationFocus } from "../router";

interface PageHeadingProps extends HTMLAttributes<HTMLHeadingElement> {
  children: ReactNode;
}

/**
 * The page's <h1>. After a client-side navigation it takes the focus once it appears, as the top
 * of a freshly loaded page would, so keyboard and screen-reader users start at the new page.
 */
export function PageHeading({ children, ...props }: PageHeadingProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (takeNavigationFocus()) heading.current?.focus();
  }, []);
  return (
    <h1 ref={heading} tabIndex={-1} {...props}>
      {children}
    </h1>
  );
}
