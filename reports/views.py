from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from accounts import access
from assignments import coverage, leave
from assignments.models import Assignment, AttendanceRecord, LeaveRequest, SpotCheck
from cadres.models import Cadre
from villages.models import Region, Village


@login_required
def home(request):
    today = timezone.localdate()
    user = request.user
    villages = access.scope(user, Village.objects.all())
    assignments = access.scope(user, Assignment.objects.all())
    serving = assignments.serving_on(today)
    soon = today + timedelta(days=90)
    context = {
        "summary": coverage.summary(villages, today),
        "serving_count": serving.count(),
        "secretary_count": serving.filter(role=Assignment.Role.FIRST_SECRETARY).count(),
        "cadre_count": access.scope(user, Cadre.objects.all()).count(),
        "ending_soon": serving.filter(end_date__isnull=True, planned_end_date__lte=soon)
        .select_related("cadre", "village")
        .order_by("planned_end_date")[:10],
        "overdue": assignments.filter(end_date__isnull=True, planned_end_date__lt=today)
        .select_related("cadre", "village")
        .order_by("planned_end_date")[:10],
        "gaps": coverage.filter_state(
            coverage.annotate(villages.select_related("township"), today), "gap"
        ).order_by("code")[:15],
        "township_count": access.scope(user, Region.objects.townships()).count(),
        "month": today.replace(day=1),
        "pending_leave": access.scope(user, LeaveRequest.objects.filter(state="pending")).count(),
        "discrepancy_count": leave.discrepancies(
            access.scope(user, SpotCheck.objects.filter(date__year=today.year))
        ).count(),
        "below_count": access.scope(
            user,
            AttendanceRecord.objects.filter(
                sheet__month=(today.replace(day=1) - timedelta(days=1)).replace(day=1)
            ),
        )
        .below_minimum()
        .count(),
    }
    return render(request, "reports/home.html", context)
