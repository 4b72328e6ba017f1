import { Link } from "../lib/Link";
import { NewAccountForm } from "./NewAccountForm";

/** /signup: an account for an email of a domain the server admits (no role until an
 * administrator grants one); any other email needs an administrator's invitation link. */
export function SignUp() {
  return (
    <main className="signin">
      <NewAccountForm
        title="Create an account"
        intro={
          <p className="muted">
            Only some organisations' emails may sign up here, and a new account can use bankchat
            once an administrator gives it a role. Invited? Open the link you were given instead.
            Have an account? <Link to="/">Sign in</Link>.
          </p>
        }
      />
    </main>
  );
}
