from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("triage/", views.triage, name="triage"),
    path("crew/", views.crew_queue, name="crew-queue"),
    path("create/", views.job_create, name="job-create"),
    path("new/", views.job_create_found, name="job-create-found"),
    path("<ref:reference>/", views.job_detail, name="job-detail"),
    path("<ref:reference>/categorise/", views.job_categorise, name="job-categorise"),
    path("<ref:reference>/allocate/", views.job_allocate, name="job-allocate"),
    path("<ref:reference>/dispatch/", views.job_dispatch, name="job-dispatch"),
    path("<ref:reference>/cancel/", views.job_cancel, name="job-cancel"),
    path("<ref:reference>/reopen/", views.job_reopen, name="job-reopen"),
    path("<ref:reference>/location/", views.job_location, name="job-location"),
    path("<ref:reference>/service/", views.job_service, name="job-service"),
    path("<ref:reference>/merge/", views.job_merge, name="job-merge"),
    path("<ref:reference>/unlink/", views.job_unlink, name="job-unlink"),
    path("<ref:reference>/exclude/", views.job_exclude, name="job-exclude"),
    path("<ref:reference>/notes/", views.job_note, name="job-note"),
]
