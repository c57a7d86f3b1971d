"""Command-line sign-in for the deployed pool: SRP password first, then the CAPTCHA."""

__version__ = "0.1.0"
