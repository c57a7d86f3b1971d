"""Attacks on the built-in CAPTCHA by someone who has this repository: the harness behind the
strength figures in the README and bench/RESULTS.md."""
