import { useId } from "react";

import type { Role } from "../types";

interface Props {
  legend: string;
  /** The legend only for assistive technology (where the row around says whose roles). */
  hideLegend?: boolean;
  roles: Role[];
  chosen: string[];
  onChange: (roles: string[]) => void;
  /** Show each role's description under its name. */
  describe?: boolean;
}

/** A checkbox per role, in the server's order of roles. */
export function RoleChecks({ legend, hideLegend, roles, chosen, onChange, describe }: Props) {
  const id = useId();
  function toggle(name: string, on: boolean) {
    const next = new Set(chosen);
    if (on) next.add(name);
    else next.delete(name);
    onChange(roles.map((r) => r.name).filter((r) => next.has(r)));
  }
  return (
    <fieldset className="role-checks">
      <legend className={hideLegend ? "visually-hidden" : undefined}>{legend}</legend>
      {roles.map((role) => (
        <div key={role._id} className={describe ? "role-option described" : "role-option"}>
          <label className="check" title={describe ? undefined : role.description}>
            <input
              type="checkbox"
              checked={chosen.includes(role.name)}
              aria-describedby={describe ? `${id}-${role.name}` : undefined}
              onChange={(e) => toggle(role.name, e.target.checked)}
            />
            {role.name}
          </label>
          {describe && (
            <span id={`${id}-${role.name}`} className="muted small-text">
              {role.description}
            </span>
          )}
        </div>
      ))}
    </fieldset>
  );
}
