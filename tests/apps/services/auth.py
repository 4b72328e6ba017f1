"""Auth providers of the services test app."""

from pathlib import Path

from livebase.auth import CustomJwtProvider, PasswordProvider

KEYS = Path(__file__).parent / "keys"

providers = [
    PasswordProvider(),
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
