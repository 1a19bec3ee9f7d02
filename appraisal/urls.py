from django.urls import path

from . import views, views_evidence

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
]
