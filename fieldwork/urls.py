"""Two URL namespaces: ``fieldwork`` — the cadre's own pages, the only ones a cadre's account reaches
(accounts/middleware.py) — and ``people`` — the county's and township's pages for those accounts."""

from django.urls import include, path

from . import views, views_accounts, views_checkins, views_diary, views_leavetrips

cadre_urls = (
    [
        path("", views.home, name="home"),
        # Leave on the phone (请假 / 销假) and trip reports (外出报备).
        path("leave/", views_leavetrips.leave_list, name="leave_list"),
        path("leave/new/", views_leavetrips.leave_new, name="leave_new"),
        path("leave/<int:pk>/", views_leavetrips.leave_detail, name="leave"),
        path("leave/<int:pk>/cancel/", views_leavetrips.leave_cancel, name="leave_cancel"),
        path("leave/<int:pk>/return/", views_leavetrips.leave_return, name="leave_return"),
        path("trips/", views_leavetrips.trip_list, name="trips"),
        path("trips/new/", views_leavetrips.trip_new, name="trip_new"),
        path("trips/<int:pk>/", views_leavetrips.trip_detail, name="trip"),
        path("trips/<int:pk>/cancel/", views_leavetrips.trip_cancel, name="trip_cancel"),
        # 民情日记 and 月汇报 (fieldwork/views_diary.py); /my/diary/ takes uploads (UPLOAD_PATH_PREFIXES).
        path("diary/", views_diary.diary_list, name="diary"),
        path("diary/new/", views_diary.diary_new, name="diary_new"),
        path("diary/<int:pk>/", views_diary.diary_entry, name="diary_entry"),
        path("diary/<int:pk>/delete/", views_diary.diary_delete, name="diary_delete"),
        path("diary/<int:pk>/photo/", views_diary.diary_photo, name="diary_photo"),
        path("reports/", views_diary.report_list, name="reports"),
        path("reports/<int:pk>/", views_diary.report, name="report"),
        path("reports/<str:month>/", views_diary.report_month, name="report_month"),
        path("checkin/", views_checkins.checkin, name="checkin"),
    ],
    "fieldwork",
)

people_urls = (
    [
        path("", views_accounts.accounts_page, name="accounts"),
        path("cadres/", views_accounts.create_cadre_accounts, name="create_cadre_accounts"),
        path("clerks/", views_accounts.create_clerk_accounts, name="create_clerk_accounts"),
        path("<int:pk>/reset/", views_accounts.reset_password, name="reset_password"),
    ],
    "people",
)

# The township's and county's side of the trip reports: confirm (days into the sheet) or reject.
trip_office_urls = (
    [
        path("", views_leavetrips.office_list, name="list"),
        path("<int:pk>/", views_leavetrips.office_detail, name="detail"),
        path("<int:pk>/<str:action>/", views_leavetrips.office_decide, name="decide"),
    ],
    "trips",
)

# The township's and county's reading of the cadres' diaries and monthly reports.
records_urls = (
    [
        path("cadres/<int:pk>/diary/", views_diary.cadre_diary, name="cadre_diary"),
        path("villages/<str:code>/diary/", views_diary.village_diary, name="village_diary"),
        path("diary/<int:pk>/photo/", views_diary.records_photo, name="diary_photo"),
        path("reports/", views_diary.reports, name="reports"),
        path("reports/<int:pk>/", views_diary.records_report, name="report"),
        path("reports/<int:pk>/read/", views_diary.report_read, name="report_read"),
    ],
    "records",
)

# Check-ins as the township and county see them, and the county's village points.
checkin_urls = (
    [
        path("", views_checkins.checkin_list, name="list"),
        path("<int:pk>/position/", views_checkins.checkin_position, name="position"),
        path("village-points/", views_checkins.village_points, name="village_points"),
        path("village-points/<int:pk>/", views_checkins.village_point, name="village_point"),
    ],
    "checkins",
)

urlpatterns = [
    path("my/", include(cadre_urls)),
    path("people/accounts/", include(people_urls)),
    path("trips/", include(trip_office_urls)),
    path("records/", include(records_urls)),
    path("checkins/", include(checkin_urls)),
]
