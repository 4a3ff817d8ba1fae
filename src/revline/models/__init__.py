"""ORM classes, one module per aggregate. Importing this package registers every table."""

from revline.models.associations import Association, AssociationLabel
from revline.models.auth import ApiToken, Team, TeamMember, User
from revline.models.deals import ExchangeRate, ForecastSnapshot, Quota, StageTransition
from revline.models.events import (
    AnonymousIdentity,
    Event,
    EventDailyCount,
    EventDefinition,
)
from revline.models.jobs import Job, ScheduledTask
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
from revline.models.scoring import ContactScore, PredictiveModel, ScoreChange, ScoreModel
from revline.models.segments import Segment, SegmentMember

__all__ = [
    "AnonymousIdentity",
    "ApiToken",
    "Association",
    "AssociationLabel",
    "CatalogRevision",
    "Company",
    "Contact",
    "ContactScore",
    "Deal",
    "Engagement",
    "Event",
    "EventDailyCount",
    "EventDefinition",
    "ExchangeRate",
    "ForecastSnapshot",
    "Job",
    "LeadConversion",
    "LifecycleChange",
    "Pipeline",
    "PipelineStage",
    "PredictiveModel",
    "PropertyDefinition",
    "PropertyGroup",
    "PropertyHistory",
    "Quota",
    "RecordMerge",
    "RoutingRule",
    "ScheduledTask",
    "ScoreChange",
    "ScoreModel",
    "Segment",
    "SegmentMember",
    "StageTransition",
    "Team",
    "TeamMember",
    "User",
    "WorkspaceSetting",
]
