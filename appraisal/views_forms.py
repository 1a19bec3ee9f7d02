"""The printed forms of the appraisal file: in the browser (print stylesheet, A4, one person a page)
and as PDF (appraisal/pdf.py). What goes on each form is gathered in appraisal/printforms.py.

Who prints what (docs/architecture.md, "Printed forms and PDF"):
- the registration forms (登记表, annual and term-end) and the 驻村工作经历: the organisation
  departments within their jurisdiction and a township clerk for its own people (``access.scope``);
  a unit liaison and a cadre get 404: the forms carry the township's opinion and the 民主测评 and
  are filed stamped by the organisation department, which sends them to the unit;
- the result letter (考核结果反馈): the organisation departments (a draft round's letters marked
  as a draft, not to be sent) and a unit liaison for its own unit, once the round is finalized;
  a township clerk, a cadre and a liaison before the round is finalized get 404.
"""

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from accounts import access
from accounts.models import Role
from cadres.models import Cadre

from . import pdf, printforms
from .models import AppraisalRound

FORMS_CSS = "css/forms.css"


def _prints_forms(user):
    return access.can(user, access.PRINT_APPRAISAL_FORMS)


def _reads_letters(user, round_):
    """The offices read a draft round's letters (marked 草稿); the unit only a final round's."""
    if not access.can(user, access.READ_RESULT_LETTERS):
        return False
    return user.role != Role.UNIT_LIAISON or not round_.is_draft


def links(user, round_):
    """Which of the round's print links ``user`` is offered (the same checks as the pages)."""
    return {"forms": _prints_forms(user), "letters": _reads_letters(user, round_)}


def _round(request, pk):
    return access.get_object_or_404(request.user, AppraisalRound.objects.select_related("county"), pk=pk)


_css_cache = {}


def _css():
    if FORMS_CSS not in _css_cache:
        path = finders.find(FORMS_CSS)
        with open(path, encoding="utf-8") as f:
            _css_cache[FORMS_CSS] = f.read()
    return _css_cache[FORMS_CSS]


def _respond(request, fmt, pages, title, filename, links, back):
    """The pages as a screen page with print and PDF buttons, or as a PDF to download."""
    # Each PDF address is its print page's address + "pdf/" (appraisal/urls.py).
    html_url = request.path[: -len("pdf/")] if fmt == "pdf" else request.path
    context = {
        "pages": pages,
        "title": title,
        "links": links,
        "back": back,
        "html_url": html_url,
        "pdf_url": html_url + "pdf/",
    }
    if fmt != "pdf" or not pages:
        context["pdf_available"] = pdf.available()
        return render(request, "appraisal/forms/pages.html", context)
    html = render_to_string("appraisal/forms/pdf.html", context, request=request)
    try:
        data = pdf.render(html, _css())
    except pdf.Unavailable as exc:
        return render(
            request,
            "appraisal/forms/unavailable.html",
            {**context, "reason": str(exc)},
            status=503,
        )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
def round_forms(request, pk, fmt="html"):
    """Every person's registration form of the round, one a page."""
    round_ = _round(request, pk)
    if not _prints_forms(request.user):
        raise Http404
    pages = printforms.round_forms(request.user, round_)
    title = _("Registration forms: %(round)s") % {"round": round_}
    return _respond(
        request,
        fmt,
        pages,
        title,
        f"appraisal-forms-{round_.county.code}-{round_.year}-{round_.kind}.pdf",
        links=[(p, p.appraisal.pk) for p in pages],
        back=round_,
    )


@login_required
def person_form(request, pk, appraisal_pk, fmt="html"):
    round_ = _round(request, pk)
    if not _prints_forms(request.user):
        raise Http404
    pages = printforms.round_forms(request.user, round_, appraisal_pk=appraisal_pk)
    if not pages:
        raise Http404
    cadre = pages[0].cadre
    title = _("Registration form: %(name)s, %(round)s") % {"name": cadre.name, "round": round_}
    return _respond(
        request,
        fmt,
        pages,
        title,
        f"appraisal-form-{round_.year}-{round_.kind}-{cadre.pk}.pdf",
        links=None,
        back=round_,
    )


@login_required
def experience(request, cadre_pk, fmt="html"):
    """A cadre's 驻村工作经历 for the personnel file."""
    if not _prints_forms(request.user):
        raise Http404
    cadre = access.get_object_or_404(request.user, Cadre.objects.select_related("unit"), pk=cadre_pk)
    page = printforms.experience(request.user, cadre)
    title = _("Record of village service: %(name)s") % {"name": cadre.name}
    return _respond(request, fmt, [page], title, f"village-service-{cadre.pk}.pdf", links=None, back=cadre)


@login_required
def letters(request, pk, fmt="html"):
    """The result letter to each dispatching unit of the round the user may read (a liaison: its own)."""
    round_ = _round(request, pk)
    if not _reads_letters(request.user, round_):
        raise Http404
    pages = printforms.unit_letters(request.user, round_)
    title = _("Result letters to the dispatching units: %(round)s") % {"round": round_}
    return _respond(
        request,
        fmt,
        pages,
        title,
        f"appraisal-letters-{round_.county.code}-{round_.year}-{round_.kind}.pdf",
        links=None,
        back=round_,
    )


@login_required
def letter(request, pk, unit_pk, fmt="html"):
    round_ = _round(request, pk)
    if not _reads_letters(request.user, round_):
        raise Http404
    pages = printforms.unit_letters(request.user, round_, unit_pk=unit_pk)
    if not pages:
        raise Http404
    title = _("Result letter to %(unit)s: %(round)s") % {"unit": pages[0].unit, "round": round_}
    return _respond(
        request,
        fmt,
        pages,
        title,
        f"appraisal-letter-{round_.year}-{round_.kind}-{unit_pk}.pdf",
        links=None,
        back=round_,
    )
