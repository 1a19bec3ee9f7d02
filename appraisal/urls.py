from django.urls import path

from . import views, views_evidence, views_forms, views_opinions

app_name = "appraisal"

urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/<str:action>/", views.round_action, name="round_action"),
    path("inspections/new/<int:assignment_pk>/", views.inspection_new, name="inspection_new"),
    path("villages/<str:code>/", views.village_results, name="village_results"),
    path("excellent-twice/", views.excellent_twice, name="excellent_twice"),
    path("units/", views.by_unit, name="by_unit"),
    path("outstanding/", views.outstanding_list, name="outstanding"),
    path("deputy-secretary/", views.deputy_secretary_list, name="deputy_secretary"),
    # The evidence page of a person in a round (issue 18, item 1).
    path("rounds/<int:pk>/people/<int:appraisal_pk>/", views_evidence.person, name="evidence"),
    path("opinions/", views_opinions.opinions_index, name="opinions"),
    # Not under rounds/<pk>/: that prefix is round_action's (rounds/<pk>/<action>/).
    path("opinions/<int:pk>/", views_opinions.round_opinions, name="round_opinions"),
    path("opinions/<int:pk>/deadline/", views_opinions.round_deadline, name="round_deadline"),
]

# The printed forms (issue 18, item 4): in the browser and as PDF (appraisal/views_forms.py), under
# forms/ (rounds/<pk>/<action>/ is the round's POST actions).
for _suffix, _fmt in (("", "html"), ("pdf/", "pdf")):
    urlpatterns += [
        path(
            f"forms/rounds/<int:pk>/{_suffix}",
            views_forms.round_forms,
            {"fmt": _fmt},
            name=f"forms_{_fmt}",
        ),
        path(
            f"forms/rounds/<int:pk>/<int:appraisal_pk>/{_suffix}",
            views_forms.person_form,
            {"fmt": _fmt},
            name=f"form_{_fmt}",
        ),
        path(
            f"forms/rounds/<int:pk>/letters/{_suffix}",
            views_forms.letters,
            {"fmt": _fmt},
            name=f"letters_{_fmt}",
        ),
        path(
            f"forms/rounds/<int:pk>/letters/<int:unit_pk>/{_suffix}",
            views_forms.letter,
            {"fmt": _fmt},
            name=f"letter_{_fmt}",
        ),
        path(
            f"forms/experience/<int:cadre_pk>/{_suffix}",
            views_forms.experience,
            {"fmt": _fmt},
            name=f"experience_{_fmt}",
        ),
    ]
