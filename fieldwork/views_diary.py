"""民情日记 and 月汇报: the cadre's pages (namespace ``fieldwork``) and the township's and county's
reading pages (namespace ``records``). Rules in fieldwork/diary.py; photos in fieldwork/photos.py."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from accounts.models import Role
from assignments import attendance
from assignments.models import Assignment
from assignments.models.attendance import month_bounds
from cadres.models import Cadre
from villages.models import Region, Village

from . import diary, mymonth, photos
from .forms_diary import DiaryEntryForm, ReportForm
from .models import DiaryEntry, MonthlyReport
from .views import _cadre_of

PAGE = 30


def _own_entry(request, pk):
    cadre_id = _cadre_of(request)
    entry = access.get_object_or_404(
        request.user, DiaryEntry.objects.select_related("assignment__village"), pk=pk
    )
    return cadre_id, entry


def _month_arg(text):
    month = attendance.parse_month(text)
    if month is None:
        raise Http404
    return month


# --- the cadre's diary ------------------------------------------------------------------------
@login_required
def diary_list(request):
    _cadre_of(request)
    today = timezone.localdate()
    entries = access.scope(request.user, DiaryEntry.objects.all()).select_related("assignment__village")
    page = Paginator(entries, PAGE).get_page(request.GET.get("page"))
    first, _last = diary.window(today)
    context = {"page": page, "editable_from": first, "nav": "diary"}
    return render(request, "fieldwork/diary_list.html", context)


@login_required
def diary_new(request):
    cadre_id = _cadre_of(request)
    today = timezone.localdate()
    form = DiaryEntryForm(
        request.POST or None,
        request.FILES or None,
        instance=DiaryEntry(date=today),
        cadre_id=cadre_id,
        today=today,
    )
    if request.method == "POST" and form.is_valid():
        form.save(request.user)
        messages.success(request, _("The entry is saved."))
        return redirect("fieldwork:diary")
    return render(request, "fieldwork/diary_form.html", {"form": form, "nav": "diary"})


@login_required
def diary_entry(request, pk):
    cadre_id, entry = _own_entry(request, pk)
    today = timezone.localdate()
    editable = diary.editable(entry, today)
    if request.method == "POST" and not editable:
        messages.error(request, _("This entry can no longer be changed (its month is closed)."))
        return redirect("fieldwork:diary_entry", pk)
    form = DiaryEntryForm(
        request.POST or None, request.FILES or None, instance=entry, cadre_id=cadre_id, today=today
    )
    if request.method == "POST" and form.is_valid():
        form.save(request.user)
        messages.success(request, _("The entry is saved."))
        return redirect("fieldwork:diary")
    context = {"form": form, "entry": entry, "editable": editable, "nav": "diary"}
    return render(request, "fieldwork/diary_form.html", context)


@login_required
@require_POST
def diary_delete(request, pk):
    _cadre_id, entry = _own_entry(request, pk)
    if not diary.editable(entry, timezone.localdate()):
        messages.error(request, _("This entry can no longer be deleted (its month is closed)."))
        return redirect("fieldwork:diary_entry", pk)
    photo = entry.photo
    entry.delete()
    photos.delete(photo)
    messages.success(request, _("The entry is deleted."))
    return redirect("fieldwork:diary")


def _photo_response(entry):
    path = photos.path_of(entry.photo)
    if path is None:
        raise Http404
    response = FileResponse(path.open("rb"), content_type="image/jpeg")
    # A photo of villagers: never kept by a shared phone's browser or a proxy.
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def diary_photo(request, pk):
    _cadre_id, entry = _own_entry(request, pk)
    return _photo_response(entry)


# --- the cadre's monthly reports --------------------------------------------------------------
def _report_months(cadre_id, today):
    """The months a cadre may report on: this month and the eleven before, where it served."""
    months, m = [], today.replace(day=1)
    for _i in range(12):
        months.append(m)
        m = diary.previous_month(m)
    served = list(Assignment.objects.for_cadre(cadre_id).filter(start_date__lte=today))
    return [m for m in months if any(_overlaps(a, m) for a in served)]


def _overlaps(assignment, month):
    first, last = month_bounds(month)
    end = assignment.end_date or assignment.planned_end_date
    return assignment.start_date <= last and (end is None or end >= first)


@login_required
def report_list(request):
    cadre_id = _cadre_of(request)
    today = timezone.localdate()
    months = _report_months(cadre_id, today)
    reports = {r.month: r for r in MonthlyReport.objects.for_cadre(cadre_id).filter(month__in=months)}
    rows = [(m, reports.get(m)) for m in months]
    return render(request, "fieldwork/report_list.html", {"rows": rows, "nav": "reports"})


@login_required
def report(request, pk):
    _cadre_of(request)
    found = access.get_object_or_404(request.user, MonthlyReport.objects.all(), pk=pk)
    return redirect("fieldwork:report_month", f"{found.month:%Y-%m}")


def _save_report(form, found, user, submit):
    """Save the draft's text (and submit it) with the row locked, so a second tab's save cannot
    turn a report submitted meanwhile back into a draft. Returns a refusal message or None."""
    with transaction.atomic():
        if (
            found.pk
            and not MonthlyReport.objects.select_for_update().filter(pk=found.pk, state="draft").exists()
        ):
            return _("This report was already submitted; it cannot be submitted again.")
        form.save()
        if submit:
            try:
                found.submit(user)
            except ValidationError as e:
                return e.messages[0]
    return None


@login_required
def report_month(request, month):
    cadre_id = _cadre_of(request)
    month = _month_arg(month)
    today = timezone.localdate()
    if month > today.replace(day=1):
        raise Http404
    found = (
        MonthlyReport.objects.for_cadre(cadre_id)
        .filter(month=month)
        .select_related("assignment__village")
        .first()
    )
    if found is None:
        assignment = mymonth.assignment_in(cadre_id, month)
        if assignment is None:
            raise Http404
        found = MonthlyReport(assignment=assignment, month=month, created_by=request.user)
    diary.prefill(found)
    if request.method == "POST":
        if found.submitted:
            messages.error(request, _("This report was already submitted; it cannot be submitted again."))
            return redirect("fieldwork:report_month", f"{month:%Y-%m}")
        form = ReportForm(request.POST, instance=found)
        if form.is_valid():
            submit = request.POST.get("action") == "submit"
            try:
                refused = _save_report(form, found, request.user, submit)
            except IntegrityError:  # two tabs created the month's report at once
                refused = _("This month's report was saved elsewhere meanwhile. Check it and save again.")
            if refused:
                messages.error(request, refused)
            elif submit:
                messages.success(request, _("The report is submitted to your township."))
            else:
                messages.success(request, _("The draft is saved. Submit it when the month is done."))
            return redirect("fieldwork:report_month", f"{month:%Y-%m}")
    else:
        form = ReportForm(instance=found)
    context = {
        "report": found,
        "form": form,
        "month": month,
        "kinds": diary.kind_rows(found.counts),
        "projects": diary.entries_for_report(found, month)
        .filter(kind=DiaryEntry.Kind.PROJECT)
        .order_by("date")[:20],
        "nav": "reports",
    }
    return render(request, "fieldwork/report_form.html", context)


# --- the township's and county's reading pages ------------------------------------------------
def _office(request):
    access.require(request.user, access.READ_FIELDWORK)


@login_required
def cadre_diary(request, pk):
    cadre = access.get_object_or_404(request.user, Cadre.objects.all(), pk=pk)
    _office(request)
    entries = access.scope(request.user, DiaryEntry.objects.filter(assignment__cadre=cadre)).select_related(
        "assignment__village"
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    context = {"subject": cadre.name, "cadre": cadre, "page": page, "show_village": True}
    return render(request, "fieldwork/records_diary.html", context)


@login_required
def village_diary(request, code):
    village = access.get_object_or_404(request.user, Village.objects.all(), code=code)
    _office(request)
    entries = access.scope(
        request.user, DiaryEntry.objects.filter(assignment__village=village)
    ).select_related("assignment__cadre")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    context = {"subject": village.name, "village": village, "page": page, "show_cadre": True}
    return render(request, "fieldwork/records_diary.html", context)


@login_required
def records_photo(request, pk):
    # Anyone but the cadre's township and county: 404, the photo's existence included.
    if not access.can(request.user, access.READ_FIELDWORK):
        raise Http404
    entry = access.get_object_or_404(request.user, DiaryEntry.objects.all(), pk=pk)
    return _photo_response(entry)


@login_required
def reports(request):
    """One month's reports of the cadres serving in the user's jurisdiction, with who has not
    submitted; by default the previous month (the one due)."""
    _office(request)
    today = timezone.localdate()
    month = attendance.parse_month(request.GET.get("month", "")) or diary.previous_month(today)
    serving = diary.serving_in(access.scope(request.user, Assignment.objects.all()), month)
    townships = list(
        access.scope(request.user, Region.objects.filter(level="township")).order_by("code")
        if request.user.role != Role.TOWNSHIP_CLERK
        else []
    )
    township = request.GET.get("township", "")
    if township:
        serving = serving.filter(village__code__startswith=township[:9])
    # One row a cadre: the latest assignment of the month (a cadre moved mid-month reports once).
    latest = {}
    for a in serving.select_related("cadre", "village__township").order_by("start_date", "pk"):
        latest[a.cadre_id] = a
    found = {
        r.assignment.cadre_id: r
        for r in access.scope(request.user, MonthlyReport.objects.filter(month=month)).select_related(
            "assignment", "read_by"
        )
    }
    rows = sorted(
        ((a, found.get(a.cadre_id)) for a in latest.values()),
        key=lambda row: (row[1] is not None and row[1].submitted, row[0].village.code, row[0].cadre.name),
    )
    missing = sum(1 for _a, r in rows if r is None or not r.submitted)
    context = {
        "month": month,
        "rows": rows,
        "missing": missing,
        "townships": townships,
        "township": township,
        "previous": diary.previous_month(month),
        "next": (month + datetime.timedelta(days=32)).replace(day=1)
        if month < today.replace(day=1)
        else None,
    }
    return render(request, "fieldwork/records_reports.html", context)


@login_required
def records_report(request, pk):
    found = access.get_object_or_404(
        request.user,
        MonthlyReport.objects.select_related("assignment__cadre", "assignment__village", "read_by"),
        pk=pk,
    )
    _office(request)
    if not found.submitted:
        raise Http404  # a draft is the cadre's own until submitted
    context = {
        "report": found,
        "kinds": diary.kind_rows(found.counts),
        "can_mark": access.can(request.user, access.KEEP_ATTENDANCE, found) and found.read_at is None,
        "list_url": reverse("records:reports") + f"?month={found.month:%Y-%m}",
    }
    return render(request, "fieldwork/records_report.html", context)


@login_required
@require_POST
def report_read(request, pk):
    found = access.get_object_or_404(request.user, MonthlyReport.objects.all(), pk=pk)
    access.require(request.user, access.KEEP_ATTENDANCE, found)
    try:
        found.mark_read(request.user)
    except ValidationError as e:
        messages.error(request, e.messages[0])
    else:
        messages.success(request, _("Marked as read."))
    return redirect("records:report", pk)
