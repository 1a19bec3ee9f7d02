"""Two URL namespaces: ``fieldwork`` — the cadre's own pages, the only ones a cadre's account reaches
(accounts/middleware.py) — and ``people`` — the county's and township's pages for those accounts."""

from django.urls import include, path

from . import views, views_accounts, views_checkins

cadre_urls = (
    [
        path("", views.home, name="home"),
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
    path("checkins/", include(checkin_urls)),
]
