"""All models, imported once so that metadata (and Alembic) sees every table."""
from backend.models.assessing import AssessingDiagnosis, TeacherShortfall
from backend.models.assessment import SelfAssessment
from backend.models.attendance import AttendanceMark, ClassSession, LeaveRequest, MarkDispute
from backend.models.cadres import CadreGrant, CadreReview
from backend.models.catalogue import CatalogueVersion, ScoringPoint, ScoringRule
from backend.models.channel import ChannelAccount, ChannelConfig, ChannelDelivery
from backend.models.grades import CourseGrade
from backend.models.incident import Incident
from backend.models.ledger import Dispute, ScoreEntry
from backend.models.membership import ClassMembership, TermRollover
from backend.models.notification import (
    Notification,
    NotificationPreference,
    PushDelivery,
    PushSubscription,
)
from backend.models.org import (
    ClassGroup,
    Course,
    Department,
    Major,
    School,
    TeachingAssignment,
    Term,
)
from backend.models.outbox import OutboxJob
from backend.models.people import RoleGrant, StaffProfile, StudentProfile, User
from backend.models.plan import Goal, GoalLog, Plan, SelfDiagnosis
from backend.models.portfolio import Attachment, PortfolioItem
from backend.models.rollup import Rollup
from backend.models.security import (
    AuditEvent,
    AuthSession,
    IdempotencyRecord,
    LoginFailure,
)
from backend.models.stored_card import StoredCard
from backend.models.teacher import CourseEvaluation, CourseEvaluationGiven, TeacherStandard
from backend.models.teacher_portrait import PortraitMedian
from backend.models.teacher_warning import TeacherIndicatorWatch, TeacherWarning, TeacherWarningEvent
from backend.models.timetable import CourseOffering, OfferingClass, TermDay, TimetableSlot
from backend.models.warning import (
    SpecialGroupRecord,
    StudentWarning,
    WarningEvent,
    WarningRule,
)

__all__ = [
    "Attachment", "Goal", "GoalLog", "Plan", "PortfolioItem", "SelfAssessment", "SelfDiagnosis",
    "AttendanceMark", "AuditEvent", "ChannelAccount", "ChannelConfig", "ChannelDelivery", "AuthSession", "ClassSession", "Dispute", "LeaveRequest", "CatalogueVersion", "ClassGroup", "Course", "Department",
    "IdempotencyRecord", "Incident", "OutboxJob", "LoginFailure", "Major", "Notification", "NotificationPreference", "PushDelivery",
    "PushSubscription", "SpecialGroupRecord", "StudentWarning", "WarningEvent", "WarningRule", "RoleGrant", "Rollup", "School", "ScoringPoint",
    "ScoreEntry", "ScoringRule", "StaffProfile", "StudentProfile", "TeachingAssignment", "Term", "User",
    "CadreGrant", "CadreReview", "CourseGrade",
    "ClassMembership", "TermRollover",
    "CourseOffering", "OfferingClass", "TermDay", "TimetableSlot", "StoredCard",
    "MarkDispute",
    "TeacherStandard", "CourseEvaluation", "CourseEvaluationGiven",
    "AssessingDiagnosis", "TeacherShortfall",
    "PortraitMedian",
    "TeacherIndicatorWatch", "TeacherWarning", "TeacherWarningEvent",
]
