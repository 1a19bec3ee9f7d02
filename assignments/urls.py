from django.urls import path

from . import views

villages = (
    [
        path("", views.village_list, name="list"),
        path("<str:code>/", views.village_detail, name="detail"),
    ],
    "villages",
)

cadres = (
    [
        path("", views.cadre_list, name="list"),
        path("<int:pk>/", views.cadre_detail, name="detail"),
    ],
    "cadres",
)

assignments = (
    [
        path("dispatch/", views.dispatch, name="dispatch"),
        path("<int:pk>/", views.assignment_detail, name="detail"),
        path("<int:pk>/end/", views.end, name="end"),
        path("<int:pk>/recall/", views.recall, name="recall"),
        path("<int:pk>/extend/", views.extend, name="extend"),
    ],
    "assignments",
)
