"""Run the stack without an AWS account: a local emulator, the real CDK CLI, a demo user."""
