from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("refresh/", views.dashboard_refresh, name="dashboard-refresh"),
    path("figure/", views.figure_detail, name="figure-detail"),
    path("export/jobs.csv", views.export_jobs, name="export-jobs"),
    path("reports/", views.report_list, name="report-list"),
    path("reports/new/", views.report_create, name="report-create"),
    path("reports/publish/", views.period_publish, name="period-publish"),
    path("reports/<str:reference>/", views.report_detail, name="report-detail"),
    path("reports/<str:reference>/progress/", views.report_progress, name="report-progress"),
    path("reports/<str:reference>/download/", views.report_download, name="report-download"),
]
