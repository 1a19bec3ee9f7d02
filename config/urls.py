from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import admin as account_admin
from accounts import views as account_views
from assignments import urls as assignment_urls
from dashboard import views as dashboard_views
from excel import views_exports, views_imports, views_layouts, views_lists

admin.site.site_header = _("zhucun · village-resident cadre management")
admin.site.site_title = _("zhucun administration")
admin.site.index_title = _("Reference data")

report_urls = (
    [
        path("exports/", views_exports.export_index, name="exports"),
        path("exports/layouts/", views_layouts.layout_index, name="layouts"),
        path("exports/layouts/<str:kind>/", views_layouts.layout_edit, name="layout_edit"),
        path("exports/jobs/<int:pk>/", views_exports.job, name="job"),
        path("exports/jobs/<int:pk>/download/", views_exports.job_download, name="job_download"),
        path("exports/lists/outstanding/", views_lists.outstanding_list, name="outstanding_list"),
        path(
            "exports/lists/deputy-secretary/", views_lists.deputy_secretary_list, name="deputy_secretary_list"
        ),
        path("exports/<str:kind>/", views_exports.export, name="export"),
        path("imports/<str:kind>/", views_imports.import_page, name="import"),
        path("imports/<str:kind>/template/", views_imports.import_template, name="import_template"),
    ],
    "excel",
)

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("todo/", dashboard_views.todo_list, name="todos"),
    path("villages/", include(assignment_urls.villages)),
    path("cadres/", include(assignment_urls.cadres)),
    path("assignments/", include(assignment_urls.assignments)),
    path("attendance/", include(assignment_urls.attendance)),
    path("leave/", include(assignment_urls.leave)),
    path("spot-checks/", include(assignment_urls.spotchecks)),
    path("appraisal/", include("appraisal.urls")),
    path("supervision/", include("supervision.urls")),
    path("", include("fieldwork.urls")),
    path("", include(report_urls)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    # Before the admin's own: its "view on site" link, through the jurisdiction (accounts/admin.py).
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(account_admin.view_on_site),
        name="view_on_site",
    ),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
