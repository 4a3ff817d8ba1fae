"""The mapping files of imports: which columns of a CSV file feed which records and
properties, and the values to translate on the way in. A deal import's mapping (``Mapping``)
also names the pipeline the deals go to; a contact import's (``ContactMapping``) defines the
properties it creates.

The files are YAML; their shapes are the models below. Every key is checked (unknown keys
are refused too, so a typo never silently does nothing) and an error names the key path,
e.g. ``pipeline.stages[2].probability``. Booleans are YAML 1.2's: only ``true`` and
``false``, so a value such as ``Yes`` or ``No`` stays the text it is."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import pydantic
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

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


# --- contact imports ------------------------------------------------------------------------

# The names create_property accepts; checked here too so a bad name is refused before any
# row is read, naming its key.
PROPERTY_NAME = r"^[a-z][a-z0-9_]{0,99}$"
FROM_DATA = "from-data"


def _bad(key: str, message: str) -> PydanticCustomError:
    """A check across keys failing at ``key`` (relative to where the check runs)."""
    return PydanticCustomError("mapping", "{message}", {"message": message, "key": key})


def _scalar_text(value: Any) -> Any:
    """A YAML scalar as the text a CSV cell holds: ``true`` -> "true", ``1.5`` -> "1.5";
    None (``~`` or an empty value) stays None: no value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _string_keys(value: Any) -> Any:
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ValueError(
                    f"the file value {key!r} must be quoted ('{key}'): a value map matches "
                    "the text of a cell"
                )
    return value


# file value -> the value to store; None or "" means no value.
ValueMap = Annotated[
    dict[str, Annotated[str | None, BeforeValidator(_scalar_text)]],
    BeforeValidator(_string_keys),
]


class OptionSpec(_Strict):
    value: Annotated[str, BeforeValidator(_scalar_text)] = Field(min_length=1)
    label: str | None = None
    description: str | None = None


class ColumnSpec(_Strict):
    """One column of a contact file: the property it fills and, for a property that does not
    exist yet, its definition (``type`` is then required)."""

    property: str = Field(pattern=PROPERTY_NAME)
    type: Literal["string", "number", "enumeration", "bool", "date", "datetime"] | None = None
    label: str | None = Field(default=None, min_length=1)
    description: str | None = None
    # A list of options, or "from-data": the distinct values the file holds.
    options: (
        Literal["from-data"] | list[Annotated[str, BeforeValidator(_scalar_text)] | OptionSpec]
    ) | None = None
    # An inline value map, or the name of one in ``value_maps``.
    values: ValueMap | str | None = None

    @model_validator(mode="after")
    def _definition(self) -> ColumnSpec:
        if self.type is None and (
            self.label is not None or self.description is not None or self.options is not None
        ):
            raise _bad("type", "a property definition (label, description, options) needs a type")
        if self.options is not None and self.type != "enumeration":
            raise _bad("options", "only enumeration properties have options")
        if self.type == "enumeration" and not self.options:
            raise _bad("options", "an enumeration needs options (a list, or from-data)")
        return self

    def option_rows(self) -> list[dict[str, Any]] | None:
        """The options as the properties service takes them; None for from-data."""
        if self.options is None or self.options == FROM_DATA:
            return None
        rows: list[dict[str, Any]] = []
        for option in self.options:
            if isinstance(option, str):
                rows.append({"value": option, "label": option})
            else:
                row: dict[str, Any] = {"value": option.value, "label": option.label or option.value}
                if option.description:
                    row["description"] = option.description
                rows.append(row)
        return rows


class GroupSpec(_Strict):
    name: str = Field(pattern=PROPERTY_NAME)
    label: str = Field(min_length=1)


class LifecycleMapping(_Strict):
    """The lifecycle stage from a column: file value -> stage. A value the map lacks
    rejects the row; an empty one leaves the stage alone."""

    column: str
    values: ValueMap = Field(min_length=1)


class ContactMapping(_Strict):
    # The group of the properties the import creates (made when missing); by default the
    # contacts' own group.
    group: GroupSpec | None = None
    # File values meaning "no value", in every column (e.g. an unanswered drop-down).
    missing: list[Annotated[str, BeforeValidator(_scalar_text)]] = []
    value_maps: dict[str, ValueMap] = {}
    # The column identifying a contact across imports: its property must hold unique values
    # (a custom string property, created so when missing, or email).
    key_column: str
    columns: dict[str, ColumnSpec] = Field(min_length=1)
    ignore: list[str] = []
    # A fixed stage for every contact, or a column mapped to stages.
    lifecycle_stage: str | LifecycleMapping | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ContactMapping:
        if self.key_column not in self.columns:
            raise _bad(
                "key_column", f"names column '{self.key_column}', which columns does not map"
            )
        if self.columns[self.key_column].type not in (None, "string"):
            raise _bad(f"columns.{self.key_column}.type", "the key column fills a string property")
        filled: dict[str, str] = {}
        for column, spec in self.columns.items():
            if spec.property in filled:
                raise _bad(
                    f"columns.{column}.property",
                    f"property '{spec.property}' is already filled by column "
                    f"'{filled[spec.property]}'",
                )
            filled[spec.property] = column
            if isinstance(spec.values, str) and spec.values not in self.value_maps:
                raise _bad(
                    f"columns.{column}.values",
                    f"names value map '{spec.values}', which value_maps lacks",
                )
        for i, column in enumerate(self.ignore):
            if column in self.columns:
                raise _bad(f"ignore[{i}]", f"column '{column}' is also mapped under columns")
        if self.lifecycle_stage is not None and "lifecyclestage" in filled:
            raise _bad(
                f"columns.{filled['lifecyclestage']}.property",
                "lifecyclestage is set by lifecycle_stage",
            )
        return self

    @property
    def key_property(self) -> str:
        return self.columns[self.key_column].property

    def value_map(self, column: str) -> dict[str, str | None]:
        values = self.columns[column].values
        if values is None:
            return {}
        return self.value_maps[values] if isinstance(values, str) else values


def fields_of(template: str) -> list[str]:
    return [f.strip() for f in FIELD.findall(template)]


def _where(loc: tuple[int | str, ...], data: Any, *, missing: bool) -> str:
    """The key path of an error's location in ``data``. Pydantic puts the name of the union
    member it tried in the location too (``str``, ``LifecycleMapping``); those parts name no
    key of the file and are left out. A missing key is the location's last part."""
    out = ""
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            continue
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif not (last and missing):
            continue  # a union member's name
        out += ("." if out else "") + str(part)
    return out or "(top level)"


def mapping_error(message: str, key: str) -> ValidationError:
    return ValidationError(
        f"mapping: {message}",
        errors=[ErrorDetail(message, "INVALID_MAPPING", {"key": [key]})],
    )


M = TypeVar("M", Mapping, ContactMapping)


def _parse(data: Any, model: type[M]) -> M:
    if not isinstance(data, dict):
        raise mapping_error("the file must hold a YAML mapping (key: value lines)", "")
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        # Of a union's failed members, the one that got furthest is the one meant.
        first = max(errors, key=lambda e: len(e["loc"]))
        key = _where(tuple(first["loc"]), data, missing=first["type"] == "missing")
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "mapping":
            sub = str(first.get("ctx", {}).get("key", ""))
            key = sub if key == "(top level)" else f"{key}.{sub}"
        elif not first["loc"] and ": " in message:
            # Checks across keys say which key they are about first.
            key, message = message.split(": ", 1)
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        elif first["type"] == "missing":
            message = "required key is missing"
        raise mapping_error(f"{key}: {message}", key) from None


def parse_mapping(data: Any) -> Mapping:
    """A deal mapping from parsed YAML, or a ValidationError naming the first bad key."""
    return _parse(data, Mapping)


def parse_contact_mapping(data: Any) -> ContactMapping:
    """A contact mapping from parsed YAML, or a ValidationError naming the first bad key."""
    return _parse(data, ContactMapping)


class _Loader(yaml.SafeLoader):
    """YAML with YAML 1.2's booleans: ``yes``, ``no``, ``on`` and ``off`` stay text (CSV
    files are full of Yes and No, and a value map must match them as written)."""


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(path: Path) -> Any:
    """The parsed content of a mapping file, or a ValidationError saying why it is unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise mapping_error(f"cannot read {path}: {exc.strerror}", "") from None
    except UnicodeDecodeError as exc:
        raise mapping_error(f"{path.name} is not UTF-8 text: {exc}", "") from None
    try:
        # A SafeLoader subclass: only plain data.
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise mapping_error(f"{path.name} is not valid YAML: {exc}", "") from None


def load_mapping(path: Path) -> Mapping:
    """Read and check a deal mapping file."""
    return parse_mapping(read_yaml(path))


def load_contact_mapping(path: Path) -> ContactMapping:
    """Read and check a contact mapping file."""
    return parse_contact_mapping(read_yaml(path))
