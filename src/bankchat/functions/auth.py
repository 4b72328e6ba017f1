"""bankchat users sign in with livebase's built-in password provider."""

from livebase.auth import PasswordProvider

providers = [PasswordProvider()]
