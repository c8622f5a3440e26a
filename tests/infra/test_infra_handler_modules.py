"""The handler modules the benchmarks time are exactly the templates' Python handlers, and each can be found."""

from __future__ import annotations

import importlib.util
import json

import pytest

from bench.import_times import handler_modules

pytestmark = pytest.mark.infra


def test_the_benchmarked_handlers_are_the_python_ones_the_templates_declare(dev):
    declared = {
        resource["Properties"]["Handler"].rsplit(".", 1)[0]
        for template in dev.outdir.glob("*.template.json")
        for resource in json.loads(template.read_text())["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
        and str(resource["Properties"].get("Runtime", "")).startswith("python")
        and not resource["Properties"]["Handler"].startswith("index.")  # CDK's BucketDeployment handler
    }
    modules = handler_modules()
    assert set(modules) == declared
    assert "web.handler" in modules
    assert not [m for m in modules if m.startswith("__")]  # CDK's Node.js providers (cross-region references)
    for module in modules:
        assert importlib.util.find_spec(module) is not None, module
