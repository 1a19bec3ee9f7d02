"""The assignments app's models, one module per topic."""

from .attendance import AttendanceRecord, AttendanceSheet, HolidayOverride
from .core import Assignment, AssignmentEvent, DateRange, Policy, term_range
from .leave import LeaveRequest, SpotCheck

__all__ = [
    "Assignment",
    "AssignmentEvent",
    "AttendanceRecord",
    "AttendanceSheet",
    "DateRange",
    "HolidayOverride",
    "LeaveRequest",
    "Policy",
    "SpotCheck",
    "term_range",
]
