"""Two URL namespaces: ``fieldwork`` — the cadre's own pages, the only ones a cadre's account reaches
(accounts/middleware.py) — and ``people`` — the county's and township's pages for those accounts."""

from django.urls import include, path

from . import views, views_accounts

cadre_urls = (
    [
        path("", views.home, name="home"),
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

urlpatterns = [
    path("my/", include(cadre_urls)),
    path("people/accounts/", include(people_urls)),
]
