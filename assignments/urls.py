from django.urls import path

from . import views, views_attendance, views_cadres, views_leave

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
        path("new/", views_cadres.cadre_new, name="new"),
        path("<int:pk>/", views.cadre_detail, name="detail"),
        path("<int:pk>/edit/", views_cadres.cadre_edit, name="edit"),
        path("<int:pk>/id-number/", views_cadres.cadre_id_number, name="id_number"),
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

attendance = (
    [
        path("", views_attendance.index, name="index"),
        path("overview/<str:month>/", views_attendance.overview, name="overview"),
        path("allowance/<str:month>/", views_attendance.allowance, name="allowance"),
        path("<str:code>/<str:month>/", views_attendance.sheet, name="sheet"),
        path(
            "<str:code>/<str:month>/<str:action>/",
            views_attendance.sheet_action,
            name="action",
        ),
    ],
    "attendance",
)

leave = (
    [
        path("", views_leave.leave_list, name="list"),
        path("new/", views_leave.leave_new, name="new"),
        path("<int:pk>/", views_leave.leave_detail, name="detail"),
        path("<int:pk>/<str:action>/", views_leave.leave_decide, name="decide"),
    ],
    "leave",
)

spotchecks = (
    [
        path("", views_leave.spotcheck_list, name="list"),
        path("new/", views_leave.spotcheck_new, name="new"),
        path("<int:pk>/", views_leave.spotcheck_detail, name="detail"),
        path("<int:pk>/correct/", views_leave.spotcheck_correct, name="correct"),
        path("<int:pk>/withdraw/", views_leave.spotcheck_withdraw, name="withdraw"),
    ],
    "spotchecks",
)
