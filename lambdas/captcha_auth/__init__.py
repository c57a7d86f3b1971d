"""Cognito custom-auth triggers: password (SRP) first, then a CAPTCHA."""
