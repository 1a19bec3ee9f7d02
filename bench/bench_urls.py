"""The project's URLs plus the two reference pages of the load test (issue 7): a trivial view and a
25-row page with select_related, both behind login like the attendance grid."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path

from assignments.models import Assignment
from config.urls import urlpatterns as project_urls

_ROWS = engines["django"].from_string(
    "<!doctype html><title>25</title><table>{% for a in rows %}<tr><td>{{ a.cadre.name }}</td>"
    "<td>{{ a.cadre.unit.name }}</td><td>{{ a.village.name }}</td><td>{{ a.village.township.name }}</td>"
    "<td>{{ a.get_role_display }}</td><td>{{ a.start_date }}</td><td>{{ a.planned_end_date }}</td></tr>"
    "{% endfor %}</table>"
)


@login_required
def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
def rows25(request):
    rows = Assignment.objects.select_related("cadre__unit", "village__township").order_by("pk")[:25]
    return HttpResponse(_ROWS.render({"rows": rows}, request))


urlpatterns = [
    path("bench/trivial/", trivial),
    path("bench/rows25/", rows25),
    *project_urls,
]
