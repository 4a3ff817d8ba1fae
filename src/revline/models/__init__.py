"""ORM classes, one module per aggregate. Importing this package registers every table."""

from revline.models.associations import Association, AssociationLabel
from revline.models.auth import ApiToken, Team, TeamMember, User
from revline.models.lifecycle import LeadConversion, LifecycleChange, WorkspaceSetting
from revline.models.pipelines import Pipeline, PipelineStage
from revline.models.properties import (
    CatalogRevision,
    PropertyDefinition,
    PropertyGroup,
    PropertyHistory,
)
from revline.models.records import Company, Contact, Deal, Engagement, RecordMerge
from revline.models.routing import RoutingRule

__all__ = [
    "ApiToken",
    "Association",
    "AssociationLabel",
    "CatalogRevision",
    "Company",
    "Contact",
    "Deal",
    "Engagement",
    "LeadConversion",
    "LifecycleChange",
    "Pipeline",
    "PipelineStage",
    "PropertyDefinition",
    "PropertyGroup",
    "PropertyHistory",
    "RecordMerge",
    "RoutingRule",
    "Team",
    "TeamMember",
    "User",
    "WorkspaceSetting",
]
