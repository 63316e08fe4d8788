"""All models, imported once so that metadata (and Alembic) sees every table."""
from backend.models.ledger import ScoreEntry
from backend.models.catalogue import CatalogueVersion, ScoringPoint, ScoringRule
from backend.models.org import ClassGroup, Course, Department, Major, School, TeachingAssignment, Term
from backend.models.people import RoleGrant, StaffProfile, StudentProfile, User
from backend.models.security import AuditEvent, AuthSession, IdempotencyRecord, LoginFailure

__all__ = [
    "AuditEvent", "AuthSession", "CatalogueVersion", "ClassGroup", "Course", "Department",
    "IdempotencyRecord", "LoginFailure", "Major", "RoleGrant", "School", "ScoringPoint",
    "ScoreEntry", "ScoringRule", "StaffProfile", "StudentProfile", "TeachingAssignment", "Term", "User",
]
