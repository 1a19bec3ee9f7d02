from django.urls import path

from . import views, views_opinions

app_name = "appraisal"

urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/<str:action>/", views.round_action, name="round_action"),
    path("inspections/new/<int:assignment_pk>/", views.inspection_new, name="inspection_new"),
    path("villages/<str:code>/", views.village_results, name="village_results"),
    path("excellent-twice/", views.excellent_twice, name="excellent_twice"),
    path("units/", views.by_unit, name="by_unit"),
    path("opinions/", views_opinions.opinions_index, name="opinions"),
    # Not under rounds/<pk>/: that prefix is round_action's (rounds/<pk>/<action>/).
    path("opinions/<int:pk>/", views_opinions.round_opinions, name="round_opinions"),
    path("opinions/<int:pk>/deadline/", views_opinions.round_deadline, name="round_deadline"),
]
