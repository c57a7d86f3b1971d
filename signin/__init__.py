"""Command-line sign-in for the deployed pool: SRP password first, then the CAPTCHA."""

from signin.project import version

__version__ = version()
