from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.plan_list, name="plans"),
    path("new/", views.plan_new, name="new"),
    path("<int:pk>/", views.plan_detail, name="plan"),
    path("<int:pk>/print/", views.plan_print, name="print"),
    path("tasks/<int:pk>/", views.task_record, name="task"),
]
