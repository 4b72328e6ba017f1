"""Auth providers, declared in an app's ``auth.py``::

from livebase import CustomJwtProvider, OidcProvider, PasswordProvider

providers = [
    PasswordProvider(signup="open"),                      # built in; sign-up closed by default
    CustomJwtProvider(issuer="https://id.example", jwks="https://id.example/jwks.json",
                      algorithm="RS256", application_id="my-app"),
    OidcProvider(domain="https://accounts.example", application_id="my-client-id"),
]
"""

from livebase.services.auth.invitations import Invitations, checked_email, token_digest
from livebase.services.auth.jwt_providers import (
    CustomJwtProvider,
    OidcProvider,
    identity_from_claims,
)
from livebase.services.auth.password import PasswordProvider, signup_hook_args

__all__ = [
    "CustomJwtProvider",
    "Invitations",
    "OidcProvider",
    "PasswordProvider",
    "checked_email",
    "identity_from_claims",
    "signup_hook_args",
    "token_digest",
]
