import django_filters
from django.core.validators import EMPTY_VALUES
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import access
from cadres.models import Cadre, Unit
from villages.models import Region, Village

from . import coverage
from .models import Assignment, LeaveRequest, SpotCheck


class Ordering(django_filters.OrderingFilter):
    """The "sort by" menu in the user's words: each column's label, its descending order, and
    "default order" for no choice (instead of field names, "(descending)" and "---------")."""

    descending_fmt = _("%s (descending)")

    def __init__(self, columns):
        """``columns``: [(model field, URL parameter, label)]."""
        super().__init__(
            fields=[(f, param) for f, param, _label in columns],
            field_labels={f: label for f, _param, label in columns},
            label=_("Sort by"),
            empty_label=_("Default order"),
        )


def _applies(filterset):
    """Whether the list filters at all: a filter that does not validate leaves the list whole."""
    return filterset.is_bound and filterset.is_valid()


def sorted_by(filterset, qs, *default):
    """The filtered rows in the user's column order (the ``o`` parameter), else in ``default``."""
    if _applies(filterset):
        return filterset.qs if filterset.form.cleaned_data.get("o") else filterset.qs.order_by(*default)
    return qs.order_by(*default)


def selected(filterset_class, data, queryset, *, user):
    """The rows of ``queryset`` that the list page of ``filterset_class`` shows for the query
    ``data`` — every page of them, in no particular order: what an export from that page writes.
    The same filter set and the same rule as the page (``sorted_by``); only the order is left out,
    since each export has its own (and the page may sort by a column the export's rows lack).
    Returns the rows and the filter set that chose them, or None when the list is not filtered."""
    filterset = filterset_class(data or None, queryset=queryset, user=user)
    if not _applies(filterset):
        return queryset, None
    cleaned = filterset.form.cleaned_data
    cleaned.pop("o", None)
    if all(value in EMPTY_VALUES for value in cleaned.values()):
        return queryset, None
    return filterset.qs, filterset


class VillageFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or code"), method="search")
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Region.objects.none(), to_field_name="code", field_name="township"
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=Village.Category.choices, method="filter_category"
    )
    coverage = django_filters.ChoiceFilter(
        label=_("Coverage"), choices=list(coverage.STATES.items()), method="filter_coverage"
    )
    region = django_filters.ModelChoiceFilter(
        label=_("County"), queryset=Region.objects.none(), to_field_name="code", method="filter_region"
    )
    o = Ordering(
        [
            ("code", "code", _("Village code")),
            ("name", "name", _("Village name")),
            ("township__code", "township", _("Township")),
            ("team_size", "team", _("Work team size")),
        ]
    )

    class Meta:
        model = Village
        fields = ["q", "region", "township", "category", "coverage"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["township"].queryset = access.scope(user, Region.objects.townships())
        counties = access.scope(user, Region.objects.filter(level=Region.Level.COUNTY)).order_by("code")
        self.filters["region"].queryset = counties

    def filter_region(self, queryset, name, value):
        return queryset.filter(code__startswith=value.prefix)

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__contains=value.strip()) | Q(code__startswith=value.strip()))

    def filter_category(self, queryset, name, value):
        return queryset.filter(categories__contains=[value])

    def filter_coverage(self, queryset, name, value):
        return coverage.filter_state(queryset, value)


class CadreFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or phone"), method="search")
    unit = django_filters.ModelChoiceFilter(label=_("Dispatching unit"), queryset=Unit.objects.none())
    rank = django_filters.ChoiceFilter(label=_("Rank"), choices=Cadre.Rank.choices)
    serving = django_filters.ChoiceFilter(
        label=_("Serving"),
        choices=[("yes", _("Serving now")), ("no", _("Not serving"))],
        method="filter_serving",
    )

    o = Ordering(
        [
            ("name", "name", _("Name")),
            ("birth_date", "birth", _("Birth date")),
            ("unit__name", "unit", _("Dispatching unit")),
            ("rank", "rank", _("Rank")),
        ]
    )

    class Meta:
        model = Cadre
        fields = ["q", "unit", "rank", "serving"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["unit"].queryset = access.scope(user, Unit.objects.all())

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__contains=value) | Q(phone__contains=value))

    def filter_serving(self, queryset, name, value):
        # Serving inside the jurisdiction: another county's current assignment is not the viewer's.
        serving = Exists(
            access.scope(self.user, Assignment.objects.filter(cadre=OuterRef("pk"))).serving_on(
                timezone.localdate()
            )
        )
        return queryset.filter(serving) if value == "yes" else queryset.exclude(serving)


class LeaveFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Cadre"), field_name="assignment__cadre__name", lookup_expr="contains"
    )
    state = django_filters.ChoiceFilter(label=_("State"), choices=LeaveRequest.State.choices)
    level = django_filters.ChoiceFilter(
        label=_("Approved by"), field_name="approval_level", choices=LeaveRequest.Level.choices
    )
    township = django_filters.ModelChoiceFilter(
        label=_("Township"),
        queryset=Region.objects.none(),
        to_field_name="code",
        field_name="assignment__village__township",
    )
    only = django_filters.ChoiceFilter(
        label=_("Show"),
        choices=[
            ("overdue", _("Return overdue (销假)")),
            ("retroactive", _("Requested after the fact (补假)")),
        ],
        method="filter_only",
    )
    o = Ordering(
        [
            ("start_date", "start", _("Start date")),
            ("assignment__cadre__name", "cadre", _("Cadre")),
            ("state", "state", _("State")),
        ]
    )

    class Meta:
        model = LeaveRequest
        fields = ["q", "state", "level", "township", "only"]

    def filter_only(self, queryset, name, value):
        from . import leave

        if value == "retroactive":
            return queryset.filter(retroactive=True)
        if value == "overdue":
            return queryset.filter(pk__in=[lv.pk for lv in leave.overdue_returns(queryset)])
        return queryset

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["township"].queryset = access.scope(user, Region.objects.townships())


class SpotCheckFilter(django_filters.FilterSet):
    only = django_filters.ChoiceFilter(
        label=_("Show"),
        empty_label=_("All checks"),
        choices=[
            ("absent", _("Absences found (one per cadre per day)")),
            ("discrepancies", _("Discrepancies with the sheet")),
            ("withdrawn", _("Withdrawn checks (已撤销)")),
        ],
        method="filter_only",
    )
    township = django_filters.ModelChoiceFilter(
        label=_("Township"),
        queryset=Region.objects.none(),
        to_field_name="code",
        field_name="assignment__village__township",
    )
    o = Ordering(
        [
            ("date", "date", _("Date")),
            ("assignment__cadre__name", "cadre", _("Cadre")),
            ("assignment__village__code", "village", _("Village")),
        ]
    )

    class Meta:
        model = SpotCheck
        fields = ["only", "township"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["township"].queryset = access.scope(user, Region.objects.townships())

    def filter_only(self, queryset, name, value):
        if value == "discrepancies":
            return queryset.filter(discrepancy=True)
        if value == "withdrawn":
            return queryset.filter(withdrawn_at__isnull=False)
        return queryset.filter(unexcused_absence=True)
