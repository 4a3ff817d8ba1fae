"""The mapping file of a deal import: which columns of a CSV file feed which records and
properties, the pipeline the deals go to, and the values to translate on the way in.

The file is YAML; its shape is the ``Mapping`` model below. Every key is checked (unknown
keys are refused too, so a typo never silently does nothing) and an error names the key
path, e.g. ``pipeline.stages[2].probability``."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from revline.errors import ErrorDetail, ValidationError

# {column} or {lookup.column}; anything else between braces is a mapping error.
FIELD = re.compile(r"\{([^{}]*)\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lookup(_Strict):
    """A second file joined to each row: ``column`` of the main file = ``key`` of the lookup."""

    file: str
    key: str
    column: str
    # A row whose value is not in the lookup is rejected; an empty value passes unless
    # the column is required by another rule.
    required: bool = True


class StageSpec(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,100}$")
    label: str = Field(min_length=1)
    probability: Decimal = Field(ge=0, le=1)
    closed: bool = False
    # None: the stage's default (a lost stage requires closed_lost_reason).
    required_properties: list[str] | None = None


class PipelineSpec(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,100}$")
    label: str = Field(min_length=1)
    display_order: int = 0
    stages: list[StageSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_stages(self) -> PipelineSpec:
        ids = [s.id for s in self.stages]
        if len(set(ids)) != len(ids):
            raise ValueError("stage ids must be unique")
        return self


class StageMapping(_Strict):
    column: str
    # file value -> stage id
    values: dict[str, str] = Field(min_length=1)
    # stage id -> the date column telling when a deal entered that stage
    dates: dict[str, str] = {}
    # When a deal whose stages have no date was created: "import" (the import's time) or
    # a fixed date.
    undated: Literal["import"] | date = "import"


class PropertySpec(_Strict):
    """Exactly one of ``column``, ``template`` or ``value``."""

    column: str | None = None
    # A list: the first template whose fields all have a value.
    template: str | list[str] | None = None
    value: str | None = None
    # Numbers are multiplied by this (e.g. revenue in millions -> 1000000).
    scale: Decimal | None = None
    # Only sent when the deal enters one of these stages (e.g. a lost reason).
    stages: list[str] | None = None
    # Label of the custom property created when it does not exist yet.
    label: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PropertySpec:
        given = [k for k in ("column", "template", "value") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of column, template or value")
        return self

    @property
    def templates(self) -> list[str]:
        if self.template is None:
            return []
        return [self.template] if isinstance(self.template, str) else list(self.template)


class KeyProperty(_Strict):
    """The unique property holding the source id: the upsert key of re-runs."""

    name: str
    label: str


class DealsSpec(_Strict):
    key_column: str
    key_property: KeyProperty
    properties: dict[str, PropertySpec] = {}


class OwnersSpec(_Strict):
    column: str
    email_domain: str = Field(pattern=r"^[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")
    # Templates over the row and its lookups; empty result = no team / no manager.
    team: str | None = None
    manager: str | None = None


class CompaniesSpec(_Strict):
    column: str
    key_property: KeyProperty
    properties: dict[str, PropertySpec] = {}
    # What happens to a deal whose company column is empty.
    missing: Literal["warn", "reject"] = "warn"


class Mapping(_Strict):
    lookups: dict[str, Lookup] = {}
    # column (or lookup.column) -> {file value: value to use}
    aliases: dict[str, dict[str, str]] = {}
    pipeline: PipelineSpec
    stage: StageMapping
    deals: DealsSpec
    owners: OwnersSpec | None = None
    companies: CompaniesSpec | None = None

    @model_validator(mode="after")
    def _stages_known(self) -> Mapping:
        known = {s.id for s in self.pipeline.stages}
        for value, stage in self.stage.values.items():
            if stage not in known:
                raise ValueError(
                    f"stage.values.{value}: names stage '{stage}', which the pipeline lacks"
                )
        for stage in self.stage.dates:
            if stage not in known:
                raise ValueError(f"stage.dates.{stage}: names a stage the pipeline lacks")
        for name, spec in self.deals.properties.items():
            for stage in spec.stages or []:
                if stage not in known:
                    raise ValueError(
                        f"deals.properties.{name}.stages: names stage '{stage}', "
                        "which the pipeline lacks"
                    )
        return self

    def stage_order(self) -> list[str]:
        return [s.id for s in self.pipeline.stages]


def fields_of(template: str) -> list[str]:
    return [f.strip() for f in FIELD.findall(template)]


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def mapping_error(message: str, key: str) -> ValidationError:
    return ValidationError(
        f"mapping: {message}",
        errors=[ErrorDetail(message, "INVALID_MAPPING", {"key": [key]})],
    )


def parse_mapping(data: Any) -> Mapping:
    """A mapping from parsed YAML, or a ValidationError naming the first bad key."""
    if not isinstance(data, dict):
        raise mapping_error("the file must hold a YAML mapping (key: value lines)", "")
    try:
        return Mapping.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        key = _where(tuple(first["loc"]))
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"] and ": " in message:
            # Checks across keys say which key they are about first.
            key, message = message.split(": ", 1)
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        elif first["type"] == "missing":
            message = "required key is missing"
        raise mapping_error(f"{key}: {message}", key) from None


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise mapping_error(f"cannot read {path}: {exc.strerror}", "") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise mapping_error(f"{path.name} is not valid YAML: {exc}", "") from None
    return parse_mapping(data)
