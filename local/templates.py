"""Read a synthesized cloud assembly: its stacks in deployment order, their templates and their file assets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"
ASSET_MANIFEST_ARTIFACT = "cdk:asset-manifest"


@dataclass(frozen=True)
class Stack:
    name: str
    template: dict[str, Any]
    # S3 object key of a file asset -> where its source lives (CDK's `DefinitionS3Location`, `Code.S3Key`, ...).
    assets: dict[str, Path] = field(default_factory=dict)
    region: str = ""  # from the stack's environment (`aws://<account>/<region>`); empty if it has none

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return resources


def load_stacks(assembly_dir: Path) -> list[Stack]:
    """Every stack of the assembly, each after the stacks it depends on (CloudFormation's deploy order)."""
    manifest = json.loads((assembly_dir / "manifest.json").read_text())
    artifacts: dict[str, dict[str, Any]] = manifest.get("artifacts", {})
    stacks = {name: artifact for name, artifact in artifacts.items() if artifact.get("type") == STACK_ARTIFACT}
    graph = {name: [d for d in artifact.get("dependencies", []) if d in stacks] for name, artifact in stacks.items()}
    ordered = list(TopologicalSorter(graph).static_order())
    result = []
    for name in ordered:
        artifact = stacks[name]
        template_file = artifact.get("properties", {}).get("templateFile", f"{name}.template.json")
        template = json.loads((assembly_dir / template_file).read_text())
        assets: dict[str, Path] = {}
        for dependency in artifact.get("dependencies", []):
            if artifacts.get(dependency, {}).get("type") == ASSET_MANIFEST_ARTIFACT:
                assets.update(_file_assets(assembly_dir, artifacts[dependency]))
        stack_name = artifact.get("displayName") or name
        region = artifact.get("environment", "").rsplit("/", 1)[-1]
        result.append(
            Stack(
                name=artifact.get("properties", {}).get("stackName", stack_name),
                template=template,
                assets=assets,
                region="" if region.startswith("unknown-") else region,
            )
        )
    return result


def _file_assets(assembly_dir: Path, artifact: dict[str, Any]) -> dict[str, Path]:
    file = artifact.get("properties", {}).get("file")
    if not file:
        return {}
    manifest = json.loads((assembly_dir / file).read_text())
    assets: dict[str, Path] = {}
    for asset in manifest.get("files", {}).values():
        source = Path(asset["source"]["path"])
        if not source.is_absolute():
            source = assembly_dir / source
        for destination in asset.get("destinations", {}).values():
            assets[destination["objectKey"]] = source
    return assets


def resource_types(stacks: list[Stack]) -> set[str]:
    return {resource["Type"] for stack in stacks for resource in stack.resources.values()}
