from django.urls import path

from . import crew_views, views

app_name = "jobs"

urlpatterns = [
    path("triage/", views.triage, name="triage"),
    path("crew/", views.crew_queue, name="crew-queue"),
    path("create/", views.job_create, name="job-create"),
    path("new/", views.job_create_found, name="job-create-found"),
    path("customers/<int:customer_id>/", crew_views.customer_history, name="customer-history"),
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
    path("<str:reference>/arrive/", crew_views.job_arrive, name="job-arrive"),
    path("<str:reference>/assess/", crew_views.job_assess, name="job-assess"),
    path("<str:reference>/start-repair/", crew_views.job_start_repair, name="job-start-repair"),
    path("<str:reference>/variation/", crew_views.job_variation, name="job-variation"),
    path("<str:reference>/complete/", crew_views.job_complete, name="job-complete"),
    path("<str:reference>/photos/", crew_views.job_photos_add, name="job-photos-add"),
    path("<str:reference>/photos/<int:photo_id>/", crew_views.job_photo, name="job-photo"),
    path("<str:reference>/photos/<int:photo_id>/thumb/", crew_views.job_photo, {"size": "thumb"},
         name="job-photo-thumb"),
    path("<str:reference>/site-contact/", crew_views.job_site_contact, name="job-site-contact"),
    path("<str:reference>/update/", crew_views.job_update, name="job-update"),
    path("<str:reference>/letters/<int:letter_id>/", crew_views.job_letter, name="job-letter"),
]
