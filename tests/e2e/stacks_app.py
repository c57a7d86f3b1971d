"""The end-to-end tests' CDK app: app.py's stack once per variant the tests need, each with its
own settings, in one app. One `cdk deploy` then synthesizes them all in one jsii process and
bundles the trigger code once (the stacks differ in settings, not in code), where a deploy per
stack paid the CLI, the app's start-up and the synth each time (~12 s of CPU apiece here).

The variants come as one context value, `stacks`: JSON mapping each stack's name to the context
keys it sets on top of the shared ones (cdk.json's and the command line's), which app.py reads
and checks exactly as for its own stack.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk

import app as cdk_app


def variant_settings(raw: object, shared: Callable[[str], Any]) -> dict[str, cdk_app.Settings]:
    """Each stack's settings from the `stacks` context value, on top of `shared` (a key's value
    from cdk.json or the command line). Raises ValueError with the one line to print."""
    variants = raw if isinstance(raw, dict) else json.loads(str(raw))  # cdk.json: an object; -c: text
    if not isinstance(variants, dict) or not variants:
        raise ValueError("context stacks takes JSON: each stack's name and the context keys it sets")
    settings = {}
    for name, overrides in variants.items():
        if not isinstance(overrides, dict):
            raise ValueError(f"stack {name}: its context keys take a JSON object")
        unknown = set(overrides) - set(cdk_app.CONTEXT)
        if unknown:  # a misspelt key would otherwise deploy the default silently
            raise ValueError(f"stack {name}: unknown context keys {sorted(unknown)}")
        context = {**overrides, "stackName": name}
        settings[name] = cdk_app.read_settings(lambda key, own=context: own.get(key, shared(key)))
    return settings


def main() -> int:
    app = cdk.App()
    try:
        variants = variant_settings(app.node.try_get_context("stacks"), app.node.try_get_context)
        for settings in variants.values():
            cdk_app.build_stack(app, settings)
    except ValueError as error:  # json.JSONDecodeError and app.py's ContextError are ones
        print(f"error: {error}", file=sys.stderr)
        return 2
    cdk_app.arm_nag(app)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
