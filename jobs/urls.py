from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("triage/", views.triage, name="triage"),
    path("crew/", views.crew_queue, name="crew-queue"),
    path("create/", views.job_create, name="job-create"),
    path("new/", views.job_create_found, name="job-create-found"),
    path("<str:reference>/", views.job_detail, name="job-detail"),
    path("<str:reference>/categorise/", views.job_categorise, name="job-categorise"),
    path("<str:reference>/allocate/", views.job_allocate, name="job-allocate"),
    path("<str:reference>/dispatch/", views.job_dispatch, name="job-dispatch"),
    path("<str:reference>/cancel/", views.job_cancel, name="job-cancel"),
    path("<str:reference>/reopen/", views.job_reopen, name="job-reopen"),
    path("<str:reference>/location/", views.job_location, name="job-location"),
    path("<str:reference>/service/", views.job_service, name="job-service"),
    path("<str:reference>/merge/", views.job_merge, name="job-merge"),
    path("<str:reference>/unlink/", views.job_unlink, name="job-unlink"),
    path("<str:reference>/exclude/", views.job_exclude, name="job-exclude"),
    path("<str:reference>/notes/", views.job_note, name="job-note"),
]
