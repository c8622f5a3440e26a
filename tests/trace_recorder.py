"""A stand-in for the X-Ray recorder behind Powertools' Tracer: it records what a handler's tracing would send.

Like the X-Ray SDK's own subsegment context manager, leaving a subsegment with an exception records that exception
(its message and stack, which is what X-Ray would store as the segment's cause).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedSubsegment:
    name: str
    annotations: dict[str, Any] = field(default_factory=dict)
    metadata: list[tuple[str, Any]] = field(default_factory=list)
    exceptions: list[BaseException] = field(default_factory=list)
    fault: bool = False

    def put_annotation(self, key: str, value: Any) -> None:
        self.annotations[key] = value

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        self.metadata.append((key, value))

    def add_exception(self, exception: BaseException, stack: Any = None, remote: bool = False) -> None:
        self.exceptions.append(exception)
        self.fault = True

    def add_fault_flag(self) -> None:
        self.fault = True


@dataclass
class RecordingProvider:
    subsegments: list[RecordedSubsegment] = field(default_factory=list)
    _open: list[RecordedSubsegment] = field(default_factory=list)

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[RecordedSubsegment]:
        subsegment = RecordedSubsegment(name or "")
        self.subsegments.append(subsegment)
        self._open.append(subsegment)
        try:
            yield subsegment
        except BaseException as error:
            subsegment.add_exception(error)
            raise
        finally:
            self._open.pop()

    def current_subsegment(self) -> RecordedSubsegment | None:
        return self._open[-1] if self._open else None

    def put_annotation(self, key: str, value: Any) -> None:
        current = self.current_subsegment()
        if current is not None:
            current.put_annotation(key, value)

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        current = self.current_subsegment()
        if current is not None:
            current.put_metadata(key, value, namespace)

    def patch(self, modules: Any) -> None:
        """Nothing to patch: no SDK calls are traced here."""

    def patch_all(self) -> None:
        """Nothing to patch: no SDK calls are traced here."""


@contextmanager
def recording() -> Iterator[RecordingProvider]:
    """Shared tracing (shared.observability.tracer) with tracing on, into a recording provider, for the block."""
    from shared.observability import tracer

    powertools = tracer.tracer
    saved = (powertools.provider, powertools.disabled)
    provider = RecordingProvider()
    powertools.provider, powertools.disabled = provider, False
    try:
        yield provider
    finally:
        powertools.provider, powertools.disabled = saved
