"""Auth providers of the services test app.

Sign-up is open here (the auth tests sign up freely), except when the server runs with
``SERVICES_SIGNUP=default``: then the provider keeps its default (closed) and only
``staff.test`` addresses, or an invitation ``accounts:admit`` accepts, get in.
"""

import os
from pathlib import Path
from typing import Any

from livebase.services.auth import CustomJwtProvider, PasswordProvider

KEYS = Path(__file__).parent / "keys"
policy: dict[str, Any] = (
    {} if os.environ.get("SERVICES_SIGNUP") == "default" else {"signup": "open"}
)

providers = [
    PasswordProvider(**policy, allowed_domains=["staff.test"], on_signup="accounts:admit"),
    CustomJwtProvider(
        issuer="https://issuer.test",
        jwks=str(KEYS / "rsa_jwks.json"),
        algorithm="RS256",
        application_id="services-app",
    ),
    CustomJwtProvider(
        issuer="https://ec-issuer.test",
        jwks=str(KEYS / "ec_jwks.json"),
        algorithm="ES256",
        application_id="services-app",
    ),
]
