"""Every handler in the template imports with only what Lambda gives it: the layer built from the layer's
requirements (for this interpreter), the function's own code and the SDK the runtime provides. A dependency the
layer lacks fails here, as it would fail the function's cold start in AWS."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from local.layer import build_local_layer, importable_alone

pytestmark = pytest.mark.local

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_ENVIRONMENT = {
    "AWS_REGION": "eu-west-2",
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@pytest.fixture(scope="module")
def layer_dir() -> Path:
    return build_local_layer()


def _project_handlers(local_cloud) -> list[tuple[str, str, Path, dict[str, str]]]:
    found = []
    for function in local_cloud.inventory.of_type("AWS::Lambda::Function"):
        code = Path(function.metadata.get("aws:asset:path", "/nonexistent"))
        if not str(function.properties.get("Runtime", "")).startswith("python") or code != ROOT / "functions":
            continue
        module = str(function.properties["Handler"]).rpartition(".")[0]
        environment = {**RUNTIME_ENVIRONMENT, **local_cloud.function_environment(function.physical_id)}
        environment["AWS_LAMBDA_FUNCTION_NAME"] = function.physical_id
        found.append((function.path, module, code, environment))
    return found


def test_every_handler_imports_with_only_the_layer_its_code_and_the_runtime_sdk(local_cloud, layer_dir):
    handlers = _project_handlers(local_cloud)
    assert len(handlers) >= 8
    with ThreadPoolExecutor(max_workers=2) as pool:
        errors = list(pool.map(lambda h: importable_alone(h[1], h[2], layer_dir, h[3]), handlers))
    failures = {path: error for (path, *_), error in zip(handlers, errors, strict=True) if error}
    assert not failures, failures


def test_a_dependency_missing_from_the_layer_fails_the_import(layer_dir, tmp_path):
    (tmp_path / "needs_moto.py").write_text("import moto\n")  # in the dev venv, never in the layer
    (tmp_path / "needs_layer.py").write_text("import aws_lambda_powertools, pydantic, shared.events, boto3\n")
    error = importable_alone("needs_moto", tmp_path, layer_dir, RUNTIME_ENVIRONMENT)
    assert error is not None
    assert "No module named 'moto'" in error
    assert importable_alone("needs_layer", tmp_path, layer_dir, RUNTIME_ENVIRONMENT) is None
